namespace Elastic.Cli.Bench.Serve;

/// <summary>Mean, median and tail percentiles of one latency, in milliseconds.</summary>
internal sealed record LatencySummary(double Mean, double Median, double P90, double P99, double Std, int Count)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    public static LatencySummary Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return Empty;
        }

        var mean = sorted.Average();
        var variance = sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length;
        return new LatencySummary(mean, Percentiles.OfSorted(sorted, 50), Percentiles.OfSorted(sorted, 90), Percentiles.OfSorted(sorted, 99), Math.Sqrt(variance), sorted.Length);
    }
}

/// <summary>Percentiles with linear interpolation between closest ranks (numpy's default), as vLLM reports them.</summary>
internal static class Percentiles
{
    public static double OfSorted(IReadOnlyList<double> sorted, double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var rank = percentile / 100.0 * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }
}
