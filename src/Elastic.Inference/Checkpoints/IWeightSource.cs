using Elastic.Inference.Configuration;
using static TorchSharp.torch;

namespace Elastic.Inference.Checkpoints;

/// <summary>Where a model's weights come from: a checkpoint on disk, or random weights for benchmarks.</summary>
public interface IWeightSource
{
    ModelConfig Config { get; }

    /// <summary>A new fp32 tensor owned by the caller (not in any dispose scope).</summary>
    Tensor Load(string name);
}

/// <summary>Loading helpers shared by every weight source.</summary>
public static class WeightSourceExtensions
{
    /// <summary>Several tensors concatenated along dim 0 (fused q/k/v or gate/up), owned by the caller.</summary>
    public static Tensor LoadConcatenated(this IWeightSource source, params string[] names)
    {
        var parts = new List<Tensor>(names.Length);
        try
        {
            foreach (var name in names)
            {
                parts.Add(source.Load(name));
            }

            return cat(parts, 0).DetachFromDisposeScope();
        }
        finally
        {
            foreach (var part in parts)
            {
                part.Dispose();
            }
        }
    }
}
