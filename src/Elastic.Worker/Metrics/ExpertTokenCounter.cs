using System.Collections.Concurrent;
using System.Globalization;
using Elastic.Inference.Experts;
using Elastic.Inference.Tracing;
using Prometheus;

namespace Elastic.Worker.Metrics;

/// <summary>
/// Counts token-to-expert assignments into <c>elastic_expert_tokens_total{layer,expert,shard}</c>: the load
/// signal placement planning and dashboards read. <paramref name="shard"/> is "local" for in-process experts.
/// </summary>
public sealed class ExpertTokenCounter(ServingMetrics metrics, string shard) : IRoutingTraceSink
{
    // Runs on the compute thread every step and layer: label lookups are cached so a step costs one add per expert.
    private readonly ConcurrentDictionary<ExpertKey, Counter.Child> _children = new();
    private readonly Counter _counter = (metrics ?? throw new ArgumentNullException(nameof(metrics))).ExpertTokens;
    private readonly string _shard = shard ?? throw new ArgumentNullException(nameof(shard));

    public void OnLayerRouted(long stepNumber, IReadOnlyList<RowOrigin> rows, ExpertRouting routing)
    {
        ArgumentNullException.ThrowIfNull(routing);
        foreach (var group in routing.Groups)
        {
            Count(group.Expert, group.Rows.Length);
        }
    }

    /// <summary>Adds <paramref name="tokens"/> assignments to <paramref name="expert"/>.</summary>
    public void Count(ExpertKey expert, int tokens) => _children.GetOrAdd(expert, Child).Inc(tokens);

    private Counter.Child Child(ExpertKey key) => _counter.WithLabels(
        key.Layer.ToString(CultureInfo.InvariantCulture), key.Expert.ToString(CultureInfo.InvariantCulture), _shard);
}
