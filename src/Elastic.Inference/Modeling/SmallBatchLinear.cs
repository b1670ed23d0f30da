using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// y = x·Wᵀ for a handful of rows, reading each weight row once for all rows. Decoding is
/// memory-bound: libtorch's GEMM for 2–24 rows streams weights at 6–10 GB/s on this machine and its
/// GEMV at ~20 GB/s, while this kernel streams at 28–48 GB/s (docs/benchmarks.md has the numbers).
/// </summary>
internal static unsafe class SmallBatchLinear
{
    /// <summary>Largest row count this kernel handles; more rows go to libtorch's GEMM, which is compute-bound there.</summary>
    public const int MaxRows = 24;

    // Below ~2 MB a weight streams in well under 100 µs on one core: splitting it saves less than the pool's
    // workers cost by spinning, and on 2 cores spinning workers starve the threads that stream tokens to clients.
    private const int ParallelThresholdBytes = 2 << 20;

    public static bool Applies(Tensor x, Tensor weight) =>
        x.dim() == 2 && x.shape[0] <= MaxRows && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU
        && weight.dtype == ScalarType.Float32 && weight.is_contiguous();

    /// <summary>x [M, K] (M ≤ <see cref="MaxRows"/>), weight [N, K] contiguous, optional bias [N] → [M, N].</summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias)
    {
        var input = x.is_contiguous() ? x : x.contiguous();
        var m = (int)input.shape[0];
        var k = (int)input.shape[1];
        var n = (int)weight.shape[0];
        var y = torch.empty(m, n);
        fixed (byte* xp = input.bytes)
        fixed (byte* wp = weight.bytes)
        fixed (byte* yp = y.bytes)
        {
            Compute((float*)wp, (float*)xp, (float*)yp, m, k, n);
        }

        return bias is null ? y : y.add_(bias);
    }

    /// <summary>y [M, N] = x [M, K] · w [N, K]ᵀ over raw contiguous fp32 buffers, split over <see cref="ComputePool"/>.</summary>
    public static void Compute(float* w, float* x, float* y, int m, int k, int n)
    {
        var job = new Job(w, x, y, m, k, n);
        var pool = ComputePool.Shared;
        if (pool.Threads == 1 || (long)n * k * sizeof(float) < ParallelThresholdBytes)
        {
            job.Rows(0, n);
        }
        else
        {
            // More parts than threads so a thread that starts late does not hold up the step.
            var parts = pool.Threads * 4;
            pool.Run(parts, p => job.Rows((int)((long)n * p / parts), (int)((long)n * (p + 1) / parts)));
        }
    }

    private readonly struct Job(float* w, float* x, float* y, int m, int k, int n)
    {
        public void Rows(int start, int end)
        {
            for (var row = start; row < end; row++)
            {
                var wr = w + ((long)row * k);
                var m0 = 0;
                for (; m0 + 4 <= m; m0 += 4)
                {
                    Dot4(wr, m0, 4, row);
                }

                switch (m - m0)
                {
                    case 1:
                        y[((long)m0 * n) + row] = Dot1(wr, x + ((long)m0 * k), k);
                        break;
                    case 2:
                        Dot2(wr, m0, row);
                        break;
                    case 3:
                        Dot4(wr, m0, 3, row);
                        break;
                }
            }
        }

        // One weight row against one input row: four accumulators over 64 floats hide the FMA latency,
        // which otherwise caps a single chain at one 64-byte line per FMA latency.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot1(float* wr, float* x0, int k)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            var i = 0;
            for (; i + 64 <= k; i += 64)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i), Vector512.Load(x0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i + 16), Vector512.Load(x0 + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i + 32), Vector512.Load(x0 + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i + 48), Vector512.Load(x0 + i + 48), a3);
            }

            for (; i + 16 <= k; i += 16)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i), Vector512.Load(x0 + i), a0);
            }

            var s = Vector512.Sum((a0 + a1) + (a2 + a3));
            for (; i < k; i++)
            {
                s += wr[i] * x0[i];
            }

            return s;
        }

        // One weight row against two input rows, two accumulators each.
        private void Dot2(float* wr, int m0, int row)
        {
            var x0 = x + ((long)m0 * k);
            var x1 = x0 + k;
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            var i = 0;
            for (; i + 32 <= k; i += 32)
            {
                var w0 = Vector512.Load(wr + i);
                var w1 = Vector512.Load(wr + i + 16);
                a0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x0 + i), a0);
                b0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x1 + i), b0);
                a1 = Vector512.FusedMultiplyAdd(w1, Vector512.Load(x0 + i + 16), a1);
                b1 = Vector512.FusedMultiplyAdd(w1, Vector512.Load(x1 + i + 16), b1);
            }

            for (; i + 16 <= k; i += 16)
            {
                var w0 = Vector512.Load(wr + i);
                a0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x0 + i), a0);
                b0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x1 + i), b0);
            }

            float s0 = Vector512.Sum(a0 + a1), s1 = Vector512.Sum(b0 + b1);
            for (; i < k; i++)
            {
                s0 += wr[i] * x0[i];
                s1 += wr[i] * x1[i];
            }

            y[((long)m0 * n) + row] = s0;
            y[((long)(m0 + 1) * n) + row] = s1;
        }

        // One weight row against three or four input rows: the weight vector is loaded once per 16 floats.
        private void Dot4(float* wr, int m0, int count, int row)
        {
            var x0 = x + ((long)m0 * k);
            var x1 = x0 + k;
            var x2 = x0 + (2L * k);
            var x3 = count > 3 ? x0 + (3L * k) : x0;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            var i = 0;
            for (; i + 16 <= k; i += 16)
            {
                var wv = Vector512.Load(wr + i);
                a0 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x1 + i), a1);
                a2 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x2 + i), a2);
                a3 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x3 + i), a3);
            }

            float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
            for (; i < k; i++)
            {
                s0 += wr[i] * x0[i];
                s1 += wr[i] * x1[i];
                s2 += wr[i] * x2[i];
                s3 += wr[i] * x3[i];
            }

            y[((long)m0 * n) + row] = s0;
            y[((long)(m0 + 1) * n) + row] = s1;
            y[((long)(m0 + 2) * n) + row] = s2;
            if (count > 3)
            {
                y[((long)(m0 + 3) * n) + row] = s3;
            }
        }
    }
}
