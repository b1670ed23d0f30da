using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Experts;

/// <summary>One expert's SwiGLU weights: gate and up fused as [2F, H], down as [H, F].</summary>
public sealed class ExpertWeights : IDisposable
{
    public ExpertWeights(ExpertKey key, Tensor gateUp, Tensor down)
    {
        Key = key;
        GateUp = gateUp;
        Down = down;
        SmallBatch = SwiGluWeights.TryCreate(gateUp, down, out var view) ? view : null;
    }

    public ExpertKey Key { get; }

    public Tensor GateUp { get; }

    public Tensor Down { get; }

    /// <summary>The small-batch kernel's view of the weights, checked once here; null when the kernel cannot take them.</summary>
    internal SwiGluWeights? SmallBatch { get; }

    public long Bytes => (GateUp.numel() + Down.numel()) * sizeof(float);

    public static ExpertWeights Load(IWeightSource reader, ExpertKey key)
    {
        var (gate, up, down) = WeightNames.Expert(reader.Config, key.Layer, key.Expert);
        var gateUp = reader.LoadConcatenated(gate, up);
        try
        {
            return new ExpertWeights(key, gateUp, reader.Load(down));
        }
        catch
        {
            gateUp.Dispose();
            throw;
        }
    }

    /// <summary>Computes the expert on rows [n, H] → [n, H].</summary>
    public Tensor Forward(Tensor rows) => TensorMath.SwiGlu(rows, GateUp, Down);

    public void Dispose()
    {
        GateUp.Dispose();
        Down.Dispose();
    }
}
