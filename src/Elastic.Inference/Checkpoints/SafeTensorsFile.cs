using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using Elastic.Inference.Configuration;

namespace Elastic.Inference.Checkpoints;

/// <summary>The element types a safetensors checkpoint may hold for the weights we load.</summary>
public enum TensorDType
{
    F32,
    F16,
    BF16,
}

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record TensorEntry(string Name, TensorDType DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A read-only, memory-mapped safetensors file. The header is validated on open (dtype, shape,
/// offsets inside the file), so a truncated or inconsistent file fails before any weight is used.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _dataStart;

    private SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataStart, IReadOnlyDictionary<string, TensorEntry> tensors)
    {
        Path = path;
        _map = map;
        _view = view;
        _dataStart = dataStart;
        Tensors = tensors;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException(path, null, "file not found");
        }

        var length = new FileInfo(path).Length;
        if (length < 8)
        {
            throw new CheckpointException(path, null, $"file is truncated ({length} bytes, a safetensors header needs at least 8)");
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        try
        {
            var headerLength = view.ReadInt64(0);
            if (headerLength <= 0 || headerLength > length - 8 || headerLength > 100_000_000)
            {
                throw new CheckpointException(path, null, $"invalid header length {headerLength} for a file of {length} bytes (truncated or not safetensors)");
            }

            var headerBytes = new byte[headerLength];
            view.ReadArray(8, headerBytes, 0, headerBytes.Length);
            var dataStart = 8 + headerLength;
            var tensors = ParseHeader(path, headerBytes, length - dataStart);
            return new SafeTensorsFile(path, map, view, dataStart, tensors);
        }
        catch
        {
            view.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Reads a tensor converted to fp32.</summary>
    public float[] ReadFloat32(TensorEntry entry)
    {
        var count = checked((int)entry.ElementCount);
        var result = new float[count];
        var offset = _dataStart + entry.Begin;
        switch (entry.DType)
        {
            case TensorDType.F32:
                _view.ReadArray(offset, result, 0, count);
                break;
            case TensorDType.F16:
            {
                var half = new Half[count];
                _view.ReadArray(offset, half, 0, count);
                for (var i = 0; i < count; i++)
                {
                    result[i] = (float)half[i];
                }

                break;
            }

            case TensorDType.BF16:
            {
                var raw = new ushort[count];
                _view.ReadArray(offset, raw, 0, count);
                for (var i = 0; i < count; i++)
                {
                    result[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                }

                break;
            }

            default:
                throw new CheckpointException(Path, entry.Name, $"unsupported dtype {entry.DType}");
        }

        return result;
    }

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }

    private static Dictionary<string, TensorEntry> ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(path, null, $"header is not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException(path, null, "header is not a JSON object");
            }

            var result = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                var entry = ParseEntry(path, property.Name, property.Value);
                if (entry.End > dataLength)
                {
                    throw new CheckpointException(path, entry.Name,
                        $"data ends at byte {entry.End} but the file holds only {dataLength} data bytes (file truncated)");
                }

                result.Add(entry.Name, entry);
            }

            return result;
        }
    }

    private static TensorEntry ParseEntry(string path, string name, JsonElement value)
    {
        try
        {
            var dtypeText = value.GetProperty("dtype").GetString();
            var dtype = dtypeText switch
            {
                "F32" => TensorDType.F32,
                "F16" => TensorDType.F16,
                "BF16" => TensorDType.BF16,
                _ => throw new CheckpointException(path, name, $"dtype '{dtypeText}' is not supported (F32, F16, BF16 are)"),
            };
            var shape = value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            {
                throw new CheckpointException(path, name, "data_offsets must be [begin, end] with 0 <= begin <= end");
            }

            if (shape.Any(d => d < 0))
            {
                throw new CheckpointException(path, name, "shape has a negative dimension");
            }

            var entry = new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
            var expectedBytes = entry.ElementCount * ElementSize(dtype);
            if (expectedBytes != offsets[1] - offsets[0])
            {
                throw new CheckpointException(path, name,
                    $"shape [{string.Join(", ", shape)}] of {dtype} needs {expectedBytes} bytes but data_offsets span {offsets[1] - offsets[0]}");
            }

            return entry;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException(path, name, $"malformed header entry: {ex.Message}");
        }
    }

    public static int ElementSize(TensorDType dtype) => dtype == TensorDType.F32 ? 4 : 2;
}
