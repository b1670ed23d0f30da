using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// RMSNorm of a step's rows (decode rows and prefill chunks) in one pass per row. As five libtorch ops (square, mean,
/// add, rsqrt, two multiplies) a [32 × 1,024] norm took ~300 µs here, ~2.5 ms of every bench-M batch-32 step per norm
/// site (docs/benchmarks.md); the rows themselves are a few hundred kilobytes.
/// </summary>
internal static unsafe class SmallBatchRmsNorm
{
    /// <summary>x [M, N] fp32 on the CPU with M ≤ <see cref="RowKernels.MaxStepRows"/> and weight [N] fp32.</summary>
    public static bool Applies(Tensor x, Tensor weight) =>
        x.dim() == 2 && RowKernels.IsStepSized(x)
        && weight.dim() == 1 && weight.size(0) == x.size(1) && weight.dtype == ScalarType.Float32 && weight.is_contiguous();

    /// <summary>y = x · rsqrt(mean(x²) + eps) · weight, row by row, in fp32 (the same order of operations as the ops).</summary>
    public static Tensor Forward(Tensor x, Tensor weight, float eps)
    {
        var input = x.is_contiguous() ? x : x.contiguous();
        var rows = (int)input.size(0);
        var n = (int)input.size(1);
        var y = torch.empty(rows, n);
        fixed (byte* xp = input.bytes)
        fixed (byte* wp = weight.bytes)
        fixed (byte* yp = y.bytes)
        {
            for (var r = 0; r < rows; r++)
            {
                var offset = (long)r * n;
                Row((float*)xp + offset, (float*)wp, (float*)yp + offset, n, eps);
            }
        }

        return y;
    }

    private static void Row(float* x, float* w, float* y, int n, float eps)
    {
        Vector512<float> a0 = default, a1 = default;
        var i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var v0 = Vector512.Load(x + i);
            var v1 = Vector512.Load(x + i + 16);
            a0 = Vector512.FusedMultiplyAdd(v0, v0, a0);
            a1 = Vector512.FusedMultiplyAdd(v1, v1, a1);
        }

        for (; i + 16 <= n; i += 16)
        {
            var v = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(v, v, a0);
        }

        var squares = Vector512.Sum(a0 + a1);
        for (; i < n; i++)
        {
            squares += x[i] * x[i];
        }

        var scale = 1f / MathF.Sqrt((squares / n) + eps);
        var s = Vector512.Create(scale);
        i = 0;
        for (; i + 16 <= n; i += 16)
        {
            (Vector512.Load(x + i) * s * Vector512.Load(w + i)).Store(y + i);
        }

        for (; i < n; i++)
        {
            y[i] = x[i] * scale * w[i];
        }
    }
}
