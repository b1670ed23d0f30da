using System.Runtime.Intrinsics;
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
        if (AppliesFused(x, cos, sin))
        {
            return ApplyFused(x, cos, sin);
        }

        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([-x2, x1], -1);
        return TensorMath.Add(x * cos, rotated * sin);
    }

    // A step's rows in one pass: as five libtorch ops per call (negate, concatenate, two multiplies, add), the rotation
    // of q and k cost more than the arithmetic by far (bench-M: 1.6 ms of a batch-32 step; the default model: ~1.3 ms
    // of a 300-row prefill step at 32 streams, when only decode-sized inputs took this path).
    private static bool AppliesFused(Tensor x, Tensor cos, Tensor sin) =>
        x.dim() == 3 && RowKernels.IsStepSized(x) && x.size(2) % 2 == 0
        && cos.is_contiguous() && sin.is_contiguous() && cos.dtype == ScalarType.Float32 && sin.dtype == ScalarType.Float32
        && cos.numel() == x.size(0) * x.size(2) && sin.numel() == cos.numel();

    /// <summary>y = x·cos + rotate_half(x)·sin; the output is contiguous, as decode attention wants q and k.</summary>
    private static unsafe Tensor ApplyFused(Tensor x, Tensor cos, Tensor sin)
    {
        var rows = (int)x.size(0);
        var heads = (int)x.size(1);
        var d = (int)x.size(2);
        var half = d / 2;
        var input = x.is_contiguous() ? x : x.contiguous();
        var y = torch.empty(rows, heads, d);
        fixed (byte* xb = input.bytes)
        fixed (byte* cp = cos.bytes)
        fixed (byte* sp = sin.bytes)
        fixed (byte* yp = y.bytes)
        {
            var xp = (float*)xb;
            for (var t = 0; t < rows; t++)
            {
                var c = (float*)cp + ((long)t * d);
                var s = (float*)sp + ((long)t * d);
                for (var h = 0; h < heads; h++)
                {
                    var src = xp + ((((long)t * heads) + h) * d);
                    var dst = (float*)yp + ((((long)t * heads) + h) * d);
                    var i = 0;
                    for (; i + 16 <= half; i += 16)
                    {
                        // The scalar loop's arithmetic 16 lanes at a time (two products, then a difference or sum; no
                        // fused multiply-add), so both give the same bits.
                        var lo = Vector512.Load(src + i);
                        var hi = Vector512.Load(src + i + half);
                        ((lo * Vector512.Load(c + i)) - (hi * Vector512.Load(s + i))).Store(dst + i);
                        ((hi * Vector512.Load(c + i + half)) + (lo * Vector512.Load(s + i + half))).Store(dst + i + half);
                    }

                    for (; i < half; i++)
                    {
                        dst[i] = (src[i] * c[i]) + (-src[i + half] * s[i]);
                        dst[i + half] = (src[i + half] * c[i + half]) + (src[i] * s[i + half]);
                    }
                }
            }
        }

        return y;
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
