using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Elastic.Inference.Modeling;

/// <summary>
/// Measures the arithmetic this machine has: its FMA peak (independent multiply-add chains on every compute thread, what
/// no kernel can beat: a batch-32 decode step does 2 FLOP per active parameter per token, so this caps what any batch
/// can reach) and what the engine's linear kernel gets of it (<see cref="PanelLinear"/>'s 4-row × 64-output tiles over a
/// weight that stays in cache, so memory does not limit it).
/// </summary>
public static unsafe class ComputeProbe
{
    /// <summary>Median GFLOP/s of <paramref name="repeats"/> timed runs (after one warm-up) of 32 rows against a 256×1024 weight.</summary>
    public static double MeasureKernelGFlops(int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        const int rows = 32, k = 1024, n = 256, calls = 400;
        var w = new float[n * k];
        var x = new float[rows * k];
        var y = new float[rows * n];
        var random = new Random(1);
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)(random.NextDouble() - 0.5);
        }

        x.AsSpan().Fill(0.5f);
        var rates = new List<double>();
        fixed (float* wp = w)
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            using var packed = PanelWeight.Pack(wp, n, k);
            for (var r = 0; r <= repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                for (var c = 0; c < calls; c++)
                {
                    PanelLinear.Compute(packed, xp, yp, rows);
                }

                if (r > 0)
                {
                    rates.Add(2.0 * rows * k * n * calls / clock.Elapsed.TotalSeconds / 1e9);
                }
            }
        }

        rates.Sort();
        return rates[rates.Count / 2];
    }

    /// <summary>
    /// Median GFLOP/s of <paramref name="repeats"/> timed runs (after one warm-up) of 12 independent FMA chains per
    /// compute thread, all threads at once: enough chains to cover the FMA latency of the widest vector units.
    /// </summary>
    public static double MeasurePeakGFlops(int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        const long iterations = 4_000_000;
        var pool = ComputePool.Shared;
        var lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
        var sink = new float[pool.Threads];
        var rates = new List<double>();
        for (var r = 0; r <= repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            pool.Run(pool.Threads, t => sink[t] = Vector512.IsHardwareAccelerated ? Chains512(iterations) : Chains256(iterations));
            if (r > 0)
            {
                rates.Add(2.0 * 12 * lanes * iterations * pool.Threads / clock.Elapsed.TotalSeconds / 1e9);
            }
        }

        GC.KeepAlive(sink);
        rates.Sort();
        return rates[rates.Count / 2];
    }

    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (var i = 0L; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c);
            a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }

        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    private static float Chains256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (var i = 0L; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }

        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }
}
