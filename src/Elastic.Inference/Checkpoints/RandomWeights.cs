using Elastic.Inference.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Checkpoints;

/// <summary>
/// Seeded random weights with the shapes a configuration implies, so benchmarks can run model sizes
/// that are not worth writing to disk. Norm weights are ones; matrices are scaled so activations stay O(1).
/// </summary>
public sealed class RandomWeights : IWeightSource, IDisposable
{
    private readonly Dictionary<string, long[]> _shapes;
    private readonly Generator _generator;

    public RandomWeights(ModelConfig config, long seed)
    {
        Config = config;
        _shapes = WeightNames.Expected(config).ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
        _generator = new Generator(unchecked((ulong)seed));
    }

    public ModelConfig Config { get; }

    public Tensor Load(string name)
    {
        if (!_shapes.TryGetValue(name, out var shape))
        {
            throw new CheckpointException("random weights", name, "not a tensor of this configuration");
        }

        if (shape.Length == 1)
        {
            return name.EndsWith(".bias", StringComparison.Ordinal)
                ? torch.zeros(shape).DetachFromDisposeScope()
                : torch.ones(shape).DetachFromDisposeScope();
        }

        using var scope = torch.NewDisposeScope();
        var std = 1.0 / Math.Sqrt(shape[^1]);
        return torch.randn(shape, generator: _generator).mul_(std).MoveToOuterDisposeScope().DetachFromDisposeScope();
    }

    public void Dispose() => _generator.Dispose();
}
