namespace Elastic.Cli.Bench.Serve;

/// <summary>What the client measured for one request; times in milliseconds from when it was sent.</summary>
internal sealed record RequestOutcome(
    bool Success,
    int PromptTokens,
    int OutputTokens,
    double TtftMs,
    double E2eMs,
    IReadOnlyList<double> ItlMs,
    string? Error = null)
{
    /// <summary>Time per output token after the first: (E2E − TTFT) / (output tokens − 1); 0 with one token or none.</summary>
    public double TpotMs => OutputTokens > 1 ? (E2eMs - TtftMs) / (OutputTokens - 1) : 0;

    public static RequestOutcome Failed(int promptTokens, string error) => new(false, promptTokens, 0, 0, 0, [], error);
}
