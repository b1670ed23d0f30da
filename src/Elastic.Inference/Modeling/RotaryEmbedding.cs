using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>Rotary position embedding tables (rotate-half layout, as in Hugging Face's Llama family).</summary>
internal sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos;
    private readonly Tensor _sin;

    public RotaryEmbedding(int headDim, double theta, int maxPositions)
    {
        HeadDim = headDim;
        MaxPositions = maxPositions;
        var half = headDim / 2;
        var cos = new float[maxPositions * headDim];
        var sin = new float[maxPositions * headDim];
        for (var i = 0; i < half; i++)
        {
            // inv_freq is computed in fp32 by transformers; computing in double and rounding is within 1 ulp.
            var invFreq = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            for (var p = 0; p < maxPositions; p++)
            {
                var angle = (float)(p * (float)invFreq);
                var c = MathF.Cos(angle);
                var s = MathF.Sin(angle);
                cos[(p * headDim) + i] = c;
                cos[(p * headDim) + i + half] = c;
                sin[(p * headDim) + i] = s;
                sin[(p * headDim) + i + half] = s;
            }
        }

        _cos = torch.tensor(cos, [maxPositions, headDim]).DetachFromDisposeScope();
        _sin = torch.tensor(sin, [maxPositions, headDim]).DetachFromDisposeScope();
    }

    public int HeadDim { get; }

    public int MaxPositions { get; }

    /// <summary>Tables for the given positions, shaped [T, 1, headDim] to broadcast over heads.</summary>
    public (Tensor Cos, Tensor Sin) Gather(Tensor positions) =>
        (_cos.index_select(0, positions).unsqueeze(1), _sin.index_select(0, positions).unsqueeze(1));

    /// <summary>Applies the rotation to x shaped [T, heads, headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([-x2, x1], -1);
        return TensorMath.Add(x * cos, rotated * sin);
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
