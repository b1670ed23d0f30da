using System.Text.Json;

namespace Elastic.Inference.Checkpoints;

/// <summary>Writes tensors in the safetensors format, as Hugging Face's <c>save_file</c> does.</summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (name → shape and fp32 data) to <paramref name="path"/>,
    /// stored as <paramref name="dtype"/>. The file is written to a temporary name and moved into
    /// place, so a crash never leaves a half-written checkpoint behind.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, long[] Shape, float[] Data)> tensors, TensorDType dtype = TensorDType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var elementSize = SafeTensorsFile.ElementSize(dtype);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, shape, data) in list)
            {
                var count = shape.Aggregate(1L, (a, b) => a * b);
                if (count != data.Length)
                {
                    throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] holds {count} elements but {data.Length} were given", nameof(tensors));
                }

                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToString());
                json.WriteStartArray("shape");
                foreach (var d in shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += data.LongLength * elementSize;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // The header is padded with spaces to a multiple of 8 bytes, as the reference implementation does.
        while (stream.Length % 8 != 0)
        {
            stream.WriteByte((byte)' ');
        }

        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var writer = new BinaryWriter(file))
        {
            writer.Write(stream.Length);
            stream.Position = 0;
            stream.CopyTo(file);
            foreach (var (_, _, data) in list)
            {
                WriteData(writer, data, dtype);
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    private static void WriteData(BinaryWriter writer, float[] data, TensorDType dtype)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
                break;
            case TensorDType.F16:
                foreach (var v in data)
                {
                    writer.Write((Half)v);
                }

                break;
            case TensorDType.BF16:
                foreach (var v in data)
                {
                    // Round to nearest even, as torch does when casting fp32 to bf16.
                    var bits = BitConverter.SingleToUInt32Bits(v);
                    var rounded = bits + 0x7FFF + ((bits >> 16) & 1);
                    writer.Write((ushort)(float.IsNaN(v) ? 0x7FC0 : rounded >> 16));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype");
        }
    }
}
