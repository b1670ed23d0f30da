using System.Text.Json;
using Elastic.Inference.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Checkpoints;

/// <summary>
/// Opens a Hugging Face checkpoint folder (single or sharded safetensors), checks that every tensor
/// the configuration needs is present with the right shape, and hands out fp32 tensors by name.
/// </summary>
public sealed class CheckpointReader : IWeightSource, IDisposable
{
    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, (SafeTensorsFile File, TensorEntry Entry)> _index;

    private CheckpointReader(string directory, ModelConfig config, List<SafeTensorsFile> files, Dictionary<string, (SafeTensorsFile, TensorEntry)> index)
    {
        Directory = directory;
        Config = config;
        _files = files;
        _index = index;
    }

    public string Directory { get; }

    public ModelConfig Config { get; }

    /// <summary>Total bytes of weight data in the checkpoint as stored.</summary>
    public long StoredBytes => _index.Values.Sum(v => v.Entry.End - v.Entry.Begin);

    public static CheckpointReader Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new CheckpointException(directory, null, "checkpoint folder not found");
        }

        var config = ModelConfig.Load(directory);
        var files = new List<SafeTensorsFile>();
        try
        {
            var index = new Dictionary<string, (SafeTensorsFile, TensorEntry)>(StringComparer.Ordinal);
            foreach (var path in ShardPaths(directory))
            {
                var file = SafeTensorsFile.Open(path);
                files.Add(file);
                foreach (var entry in file.Tensors.Values)
                {
                    if (!index.TryAdd(entry.Name, (file, entry)))
                    {
                        throw new CheckpointException(path, entry.Name, $"tensor also present in {index[entry.Name].Item1.Path}");
                    }
                }
            }

            var reader = new CheckpointReader(directory, config, files, index);
            reader.Validate();
            return reader;
        }
        catch
        {
            foreach (var f in files)
            {
                f.Dispose();
            }

            throw;
        }
    }

    /// <summary>Whether the checkpoint holds a tensor of this name.</summary>
    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>Loads a tensor as a new fp32 torch tensor owned by the caller (not in any dispose scope).</summary>
    public Tensor Load(string name)
    {
        if (!_index.TryGetValue(name, out var hit))
        {
            throw new CheckpointException(Directory, name, "tensor not found in any safetensors file of the checkpoint");
        }

        float[] data;
        try
        {
            data = hit.File.ReadFloat32(hit.Entry);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CheckpointException(hit.File.Path, name, $"could not read tensor data: {ex.Message}", ex);
        }

        return torch.tensor(data, hit.Entry.Shape).DetachFromDisposeScope();
    }

    /// <summary>Loads a tensor as a managed fp32 array.</summary>
    public float[] LoadArray(string name) =>
        _index.TryGetValue(name, out var hit)
            ? hit.File.ReadFloat32(hit.Entry)
            : throw new CheckpointException(Directory, name, "tensor not found in any safetensors file of the checkpoint");

    public void Dispose()
    {
        foreach (var f in _files)
        {
            f.Dispose();
        }
    }

    private void Validate()
    {
        foreach (var (name, shape) in WeightNames.Expected(Config))
        {
            if (!_index.TryGetValue(name, out var hit))
            {
                var where = _files.Count == 1 ? _files[0].Path : System.IO.Path.Combine(Directory, "*.safetensors");
                throw new CheckpointException(where, name, $"missing (expected shape [{string.Join(", ", shape)}])");
            }

            if (!hit.Entry.Shape.SequenceEqual(shape))
            {
                throw new CheckpointException(hit.File.Path, name,
                    $"has shape [{string.Join(", ", hit.Entry.Shape)}] but config.json implies [{string.Join(", ", shape)}]");
            }
        }
    }

    private static List<string> ShardPaths(string directory)
    {
        var indexPath = System.IO.Path.Combine(directory, "model.safetensors.index.json");
        if (File.Exists(indexPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
                var map = doc.RootElement.GetProperty("weight_map");
                var shards = map.EnumerateObject()
                    .Select(p => p.Value.GetString() ?? throw new CheckpointException(indexPath, p.Name, "weight_map entry is not a file name"))
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal)
                    .Select(f => System.IO.Path.Combine(directory, f))
                    .ToList();
                foreach (var shard in shards.Where(s => !File.Exists(s)))
                {
                    throw new CheckpointException(shard, null, "shard named in model.safetensors.index.json is missing");
                }

                return shards;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new CheckpointException(indexPath, null, $"malformed index: {ex.Message}");
            }
        }

        var single = System.IO.Path.Combine(directory, "model.safetensors");
        if (File.Exists(single))
        {
            return [single];
        }

        var any = System.IO.Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        return any.Count > 0
            ? any
            : throw new CheckpointException(directory, null, "no model.safetensors, model.safetensors.index.json or *.safetensors file found");
    }
}
