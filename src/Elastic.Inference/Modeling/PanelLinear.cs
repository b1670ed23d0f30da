using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// y [M, N] = x [M, K] · Wᵀ over a <see cref="PanelWeight"/>, for any number of rows. Each tile multiplies four input
/// rows by one 64-output panel: per input element one broadcast and four weight vectors feed 16 FMAs into 16
/// accumulators that already hold whole outputs, so there is no horizontal sum at the end (the K-wise 4×4 tiles this
/// replaced ended every output in one, about a quarter of their work at K = 128) and no K tail. A panel is read once
/// per four rows from L1/L2 and streamed once per call from memory. The engine's one linear kernel: dense layers,
/// experts and the LM head, a decode step's few rows and a prefill's many. On the default model's expert shapes (one
/// core, 64 rows over 8 experts × 4 layers) it runs at ~90 GFLOP/s with the weights in cache, against 67–73 for the
/// K-wise tiles, and batch 1 in half their time (docs/benchmarks.md).
/// </summary>
internal static unsafe class PanelLinear
{
    // Below ~2 MB of weight streamed (times the 4-row passes) one core finishes sooner than
    // the pool's workers wake, and on 2 cores waking them starves the threads that stream tokens to clients.
    private const long ParallelThresholdBytes = 2 << 20;

    private const int W = PanelWeight.Width;

    /// <summary>x [M, K] (fp32 CPU rows, converted if need be) · Wᵀ (+ bias [N]) → [M, N].</summary>
    public static Tensor Forward(Tensor x, PanelWeight weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(weight);

        // No dispose scope of its own (a decode step makes ~30 of these calls): a converted input, if any, belongs to
        // the caller's scope as the result does.
        var input = RowKernels.Fp32Rows(x, weight.Inputs, "linear");
        var m = (int)input.size(0);
        var y = torch.empty(m, weight.Outputs);
        Compute(weight, TensorData.Floats(input), TensorData.Floats(y), m);
        GC.KeepAlive(input);
        if (bias is not null)
        {
            using var one = 1.ToScalar();
            y.add_(bias, one);
        }

        return y;
    }

    /// <summary>
    /// y [M, N] = x [M, K] · Wᵀ over raw contiguous fp32 rows; split over <see cref="ComputePool"/> by panels and row
    /// blocks unless <paramref name="parallel"/> is false (the caller already runs one such call per thread).
    /// </summary>
    public static void Compute(PanelWeight weight, float* x, float* y, int m, bool parallel = true)
    {
        if (m == 0)
        {
            return;
        }

        var panels = weight.Panels;
        var tiles = (m + 3) / 4;
        var pool = ComputePool.Shared;
        if (!parallel || pool.Threads == 1 || weight.Bytes * tiles < ParallelThresholdBytes)
        {
            for (var p = 0; p < panels; p++)
            {
                Panel(weight, p, x, y, 0, m);
            }

            return;
        }

        // More parts than threads so that a thread starting late does not hold up the call; rows split in whole tiles
        // when there are fewer panels than parts (the down projection of a narrow model has two).
        var target = pool.Threads * 4;
        var rowParts = Math.Min(tiles, Math.Max(1, (target + panels - 1) / panels));
        pool.Run(panels * rowParts, part =>
        {
            var p = part / rowParts;
            var chunk = part % rowParts;
            var from = (int)((long)tiles * chunk / rowParts) * 4;
            var to = Math.Min(m, (int)((long)tiles * (chunk + 1) / rowParts) * 4);
            Panel(weight, p, x, y, from, to);
        });
        GC.KeepAlive(weight);
    }

    // Rows [from, to) of panel p's outputs.
    private static void Panel(PanelWeight weight, int p, float* x, float* y, int from, int to)
    {
        var k = weight.Inputs;
        var n = weight.Outputs;
        var panel = weight.Panel(p);
        var column = p * W;
        var width = Math.Min(W, n - column);
        if (width < W)
        {
            // The last, zero-padded panel: tiles go through a buffer and only the real outputs are copied out.
            var buffer = stackalloc float[4 * W];
            for (var r = from; r < to; r += 4)
            {
                var count = Math.Min(4, to - r);
                Tile(panel, x + ((long)r * k), k, count, buffer, W);
                for (var i = 0; i < count; i++)
                {
                    new ReadOnlySpan<float>(buffer + (i * W), width).CopyTo(new Span<float>(y + ((long)(r + i) * n) + column, width));
                }
            }

            return;
        }

        for (var r = from; r < to; r += 4)
        {
            Tile(panel, x + ((long)r * k), k, Math.Min(4, to - r), y + ((long)r * n) + column, n);
        }
    }

    private static void Tile(float* panel, float* x, int k, int count, float* y, long ldy)
    {
        switch (count)
        {
            case 1:
                Tile1(panel, x, k, y);
                break;
            case 2:
                Tile2(panel, x, k, y, ldy);
                break;
            default:
                Tile4(panel, x, k, count, y, ldy);
                break;
        }
    }

    // Three or four rows; a missing fourth row repeats the first and is not stored.
    private static void Tile4(float* panel, float* x0, int k, int count, float* y, long ldy)
    {
        var x1 = x0 + k;
        var x2 = x1 + k;
        var x3 = count > 3 ? x2 + k : x0;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var w = panel;
        for (var i = 0; i < k; i++, w += W)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var w2 = Vector512.Load(w + 32);
            var w3 = Vector512.Load(w + 48);
            var b = Vector512.Create(x0[i]);
            a00 = Vector512.FusedMultiplyAdd(w0, b, a00);
            a01 = Vector512.FusedMultiplyAdd(w1, b, a01);
            a02 = Vector512.FusedMultiplyAdd(w2, b, a02);
            a03 = Vector512.FusedMultiplyAdd(w3, b, a03);
            b = Vector512.Create(x1[i]);
            a10 = Vector512.FusedMultiplyAdd(w0, b, a10);
            a11 = Vector512.FusedMultiplyAdd(w1, b, a11);
            a12 = Vector512.FusedMultiplyAdd(w2, b, a12);
            a13 = Vector512.FusedMultiplyAdd(w3, b, a13);
            b = Vector512.Create(x2[i]);
            a20 = Vector512.FusedMultiplyAdd(w0, b, a20);
            a21 = Vector512.FusedMultiplyAdd(w1, b, a21);
            a22 = Vector512.FusedMultiplyAdd(w2, b, a22);
            a23 = Vector512.FusedMultiplyAdd(w3, b, a23);
            b = Vector512.Create(x3[i]);
            a30 = Vector512.FusedMultiplyAdd(w0, b, a30);
            a31 = Vector512.FusedMultiplyAdd(w1, b, a31);
            a32 = Vector512.FusedMultiplyAdd(w2, b, a32);
            a33 = Vector512.FusedMultiplyAdd(w3, b, a33);
        }

        Store(y, a00, a01, a02, a03);
        Store(y + ldy, a10, a11, a12, a13);
        Store(y + (2 * ldy), a20, a21, a22, a23);
        if (count > 3)
        {
            Store(y + (3 * ldy), a30, a31, a32, a33);
        }
    }

    private static void Tile2(float* panel, float* x0, int k, float* y, long ldy)
    {
        var x1 = x0 + k;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        var w = panel;
        for (var i = 0; i < k; i++, w += W)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var w2 = Vector512.Load(w + 32);
            var w3 = Vector512.Load(w + 48);
            var b = Vector512.Create(x0[i]);
            a00 = Vector512.FusedMultiplyAdd(w0, b, a00);
            a01 = Vector512.FusedMultiplyAdd(w1, b, a01);
            a02 = Vector512.FusedMultiplyAdd(w2, b, a02);
            a03 = Vector512.FusedMultiplyAdd(w3, b, a03);
            b = Vector512.Create(x1[i]);
            a10 = Vector512.FusedMultiplyAdd(w0, b, a10);
            a11 = Vector512.FusedMultiplyAdd(w1, b, a11);
            a12 = Vector512.FusedMultiplyAdd(w2, b, a12);
            a13 = Vector512.FusedMultiplyAdd(w3, b, a13);
        }

        Store(y, a00, a01, a02, a03);
        Store(y + ldy, a10, a11, a12, a13);
    }

    private static void Tile1(float* panel, float* x0, int k, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var w = panel;
        for (var i = 0; i < k; i++, w += W)
        {
            var b = Vector512.Create(x0[i]);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w), b, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 16), b, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 32), b, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 48), b, a3);
        }

        Store(y, a0, a1, a2, a3);
    }

    private static void Store(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        a0.Store(y);
        a1.Store(y + 16);
        a2.Store(y + 32);
        a3.Store(y + 48);
    }
}
