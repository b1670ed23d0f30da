namespace Elastic.Cli.Bench.Serve;

/// <summary>The results of a serving benchmark, computed from per-request outcomes.</summary>
internal sealed record BenchmarkReport(
    int Completed,
    int Failed,
    double DurationSeconds,
    long TotalInputTokens,
    long TotalOutputTokens,
    double RequestThroughput,
    double OutputTokenThroughput,
    double TotalTokenThroughput,
    int GoodRequests,
    double? Goodput,
    LatencySummary TtftMs,
    LatencySummary TpotMs,
    LatencySummary ItlMs,
    LatencySummary E2eMs)
{
    /// <summary>
    /// CPU the load generator itself used over the run, in cores (process CPU time ÷ wall time); null when not measured.
    /// On a machine it shares with the server, that CPU is taken from the server.
    /// </summary>
    public double? ClientCpuCores { get; init; }

    /// <summary>Aggregates outcomes over the wall time of the run, vLLM's definitions throughout.</summary>
    public static BenchmarkReport Compute(IReadOnlyList<RequestOutcome> outcomes, TimeSpan duration, GoodputSlo slo)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(slo);
        var ok = outcomes.Where(o => o.Success).ToArray();
        var seconds = Math.Max(duration.TotalSeconds, 1e-9);
        long input = ok.Sum(o => (long)o.PromptTokens);
        long output = ok.Sum(o => (long)o.OutputTokens);
        var good = ok.Count(slo.IsMetBy);
        return new BenchmarkReport(
            ok.Length,
            outcomes.Count - ok.Length,
            duration.TotalSeconds,
            input,
            output,
            ok.Length / seconds,
            output / seconds,
            (input + output) / seconds,
            good,
            slo.IsEmpty ? null : good / seconds,
            LatencySummary.Of(ok.Select(o => o.TtftMs)),
            // A one-token request has no time per output token; leaving it out keeps the mean honest.
            LatencySummary.Of(ok.Where(o => o.OutputTokens > 1).Select(o => o.TpotMs)),
            LatencySummary.Of(ok.SelectMany(o => o.ItlMs)),
            LatencySummary.Of(ok.Select(o => o.E2eMs)));
    }
}
