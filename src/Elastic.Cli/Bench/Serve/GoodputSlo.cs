using System.Globalization;

namespace Elastic.Cli.Bench.Serve;

/// <summary>
/// Service-level objectives for goodput, in milliseconds: a request is good only if it meets every one given
/// (vLLM's <c>--goodput ttft:500 tpot:50 e2e:5000</c>).
/// </summary>
internal sealed record GoodputSlo(double? TtftMs, double? TpotMs, double? E2eMs)
{
    public static GoodputSlo None { get; } = new(null, null, null);

    public bool IsEmpty => TtftMs is null && TpotMs is null && E2eMs is null;

    /// <summary>Parses <c>name:milliseconds</c> pairs; names are ttft, tpot and e2e (or e2el).</summary>
    public static GoodputSlo Parse(IEnumerable<string> pairs)
    {
        var slo = None;
        foreach (var pair in pairs.SelectMany(p => p.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)))
        {
            var parts = pair.Split(':');
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) || !(ms > 0) || double.IsInfinity(ms))
            {
                throw new ArgumentException($"--goodput '{pair}' is not name:milliseconds with a positive number (e.g. ttft:500)");
            }

            slo = parts[0].ToUpperInvariant() switch
            {
                "TTFT" => slo with { TtftMs = ms },
                "TPOT" => slo with { TpotMs = ms },
                "E2E" or "E2EL" => slo with { E2eMs = ms },
                _ => throw new ArgumentException($"--goodput '{parts[0]}' is not one of ttft, tpot, e2e"),
            };
        }

        return slo;
    }

    /// <summary>Whether a successful request met every objective; failed requests never count.</summary>
    public bool IsMetBy(RequestOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Success
            && (TtftMs is not { } ttft || outcome.TtftMs <= ttft)
            && (TpotMs is not { } tpot || outcome.TpotMs <= tpot)
            && (E2eMs is not { } e2e || outcome.E2eMs <= e2e);
    }

    public override string ToString() => IsEmpty
        ? "none"
        : string.Join(' ', new[] { ("ttft", TtftMs), ("tpot", TpotMs), ("e2e", E2eMs) }
            .Where(p => p.Item2 is not null)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Item1}:{p.Item2}")));
}
