using Elastic.Inference.Checkpoints;
using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Experts;

/// <summary>
/// One expert's SwiGLU weights (gate and up fused as [2F, H], down as [H, F]), packed once, when loaded, into the
/// panels the expert kernel reads (<see cref="PanelSwiGlu"/>); the source tensors are not kept.
/// </summary>
public sealed class ExpertWeights : IDisposable
{
    private ExpertWeights(ExpertKey key, PanelSwiGlu packed)
    {
        Key = key;
        Packed = packed;
    }

    public ExpertKey Key { get; }

    public int Hidden => Packed.Hidden;

    public int Ffn => Packed.Ffn;

    public long Bytes => Packed.Bytes;

    public bool IsDisposed => Packed.IsDisposed;

    internal PanelSwiGlu Packed { get; }

    /// <summary>Packs gateUp [2F, H] and down [H, F] (any dtype, layout or CPU device); the caller keeps the tensors.</summary>
    public static ExpertWeights Pack(ExpertKey key, Tensor gateUp, Tensor down) => new(key, PanelSwiGlu.Pack(gateUp, down));

    public static ExpertWeights Load(IWeightSource reader, ExpertKey key)
    {
        var (gate, up, down) = WeightNames.Expert(reader.Config, key.Layer, key.Expert);
        using var gateUp = reader.LoadConcatenated(gate, up);
        using var downWeight = reader.Load(down);
        return Pack(key, gateUp, downWeight);
    }

    /// <summary>Computes the expert on rows [n, H] → [n, H].</summary>
    public Tensor Forward(Tensor rows) => Packed.Forward(rows);

    public void Dispose() => Packed.Dispose();
}
