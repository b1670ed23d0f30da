using System.Diagnostics;

namespace Elastic.Inference.Modeling;

/// <summary>
/// Measures the arithmetic this machine gives the engine: the small-batch kernel's 4×4 FMA tiles over a weight
/// that stays in cache (so memory does not limit it), on all compute threads. A batch-32 decode step does
/// 2 FLOP per active parameter per token, so this figure caps what any batch can reach.
/// </summary>
public static unsafe class ComputeProbe
{
    /// <summary>Median GFLOP/s of <paramref name="repeats"/> timed runs (after one warm-up) of 32 rows against a 256×1024 weight.</summary>
    public static double MeasureGFlops(int repeats)
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
            for (var r = 0; r <= repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                for (var c = 0; c < calls; c++)
                {
                    SmallBatchLinear.Compute(wp, xp, yp, rows, k, n);
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
}
