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
    public (Tensor Cos, Tensor Sin) Gather(ReadOnlySpan<long> positions)
    {
        var cos = torch.empty(positions.Length, 1, HeadDim);
        var sin = torch.empty(positions.Length, 1, HeadDim);
        TensorRows.Copy(_cos, positions, cos);
        TensorRows.Copy(_sin, positions, sin);
        return (cos, sin);
    }

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
        x.dim() == 3 && RowKernels.IsStepSized(x) && x.size(2) % 2 == 0 && TablesFit(cos, sin, x.size(0), x.size(2));

    // Contiguous fp32 tables of one headDim row per input row, as Gather returns them: what the raw kernel reads.
    private static bool TablesFit(Tensor cos, Tensor sin, long rows, long headDim) =>
        cos.is_contiguous() && sin.is_contiguous() && cos.dtype == ScalarType.Float32 && sin.dtype == ScalarType.Float32
        && cos.numel() == rows * headDim && sin.numel() == cos.numel();

    /// <summary>y = x·cos + rotate_half(x)·sin; the output is contiguous, as decode attention wants q and k.</summary>
    private static unsafe Tensor ApplyFused(Tensor x, Tensor cos, Tensor sin)
    {
        var rows = (int)x.size(0);
        var heads = (int)x.size(1);
        var d = (int)x.size(2);
        var input = x.is_contiguous() ? x : x.contiguous();
        var y = torch.empty(rows, heads, d);
        Rotate(TensorData.Floats(input), (long)heads * d, TensorData.Floats(y), (long)heads * d, rows, heads, d, TensorData.Floats(cos), TensorData.Floats(sin));
        GC.KeepAlive(input);
        GC.KeepAlive(cos);
        GC.KeepAlive(sin);
        return y;
    }

    /// <summary>
    /// Whether <see cref="RotateInPlace"/> takes this step: fp32 [rows, ≥ width] contiguous rows, tables for
    /// each row as <see cref="Gather"/> returns them, and an even head size.
    /// </summary>
    public static bool RotatesInPlace(Tensor rows, long width, Tensor cos, Tensor sin, int headDim) =>
        rows.dim() == 2 && RowKernels.IsStepSized(rows) && rows.is_contiguous() && rows.size(1) >= width && headDim % 2 == 0
        && TablesFit(cos, sin, rows.size(0), headDim);

    /// <summary>
    /// Rotates the first <paramref name="heads"/> heads of every row of <paramref name="rows"/> in place (a fused
    /// q|k|v projection's q and k heads, which lead each row): no tensor per call, where narrowing, reshaping and
    /// rotating q and k apart cost ~10 libtorch calls a layer (~11 µs of a ~280 µs batch-1 step of the default model).
    /// </summary>
    public static unsafe void RotateInPlace(Tensor rows, int heads, int headDim, Tensor cos, Tensor sin)
    {
        var data = TensorData.Floats(rows);
        Rotate(data, rows.size(1), data, rows.size(1), (int)rows.size(0), heads, headDim, TensorData.Floats(cos), TensorData.Floats(sin));
        GC.KeepAlive(rows);
        GC.KeepAlive(cos);
        GC.KeepAlive(sin);
    }

    // dst row t, head h = rotation of src row t, head h by the tables' row t; dst may be src (each pair of halves is
    // read before either is written).
    private static unsafe void Rotate(float* src, long srcStride, float* dst, long dstStride, int rows, int heads, int d, float* cos, float* sin)
    {
        var half = d / 2;
        for (var t = 0; t < rows; t++)
        {
            var c = cos + ((long)t * d);
            var s = sin + ((long)t * d);
            for (var h = 0; h < heads; h++)
            {
                var from = src + (t * srcStride) + ((long)h * d);
                var to = dst + (t * dstStride) + ((long)h * d);
                var i = 0;
                for (; i + 16 <= half; i += 16)
                {
                    // The scalar loop's arithmetic 16 lanes at a time (two products, then a difference or sum; no
                    // fused multiply-add), so both give the same bits.
                    var lo = Vector512.Load(from + i);
                    var hi = Vector512.Load(from + i + half);
                    ((lo * Vector512.Load(c + i)) - (hi * Vector512.Load(s + i))).Store(to + i);
                    ((hi * Vector512.Load(c + i + half)) + (lo * Vector512.Load(s + i + half))).Store(to + i + half);
                }

                for (; i < half; i++)
                {
                    var lo = from[i];
                    var hi = from[i + half];
                    to[i] = (lo * c[i]) + (-hi * s[i]);
                    to[i + half] = (hi * c[i + half]) + (lo * s[i + half]);
                }
            }
        }
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
