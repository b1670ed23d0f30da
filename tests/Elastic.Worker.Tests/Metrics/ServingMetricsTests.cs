using Elastic.Inference.Engine;
using Elastic.Worker.Metrics;
using Prometheus;

namespace Elastic.Worker.Tests.Metrics;

[Trait("Category", "Unit")]
public sealed class ServingMetricsTests
{
    [Fact]
    public async Task Observe_EngineSnapshots_SetGaugesAndAdvancePreemptionsToTheEngineTotal()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new ServingMetrics(registry);

        metrics.Observe(new EngineStats(Running: 3, Waiting: 2, KvCacheUsage: 0.5, KvCacheAllocatedBytes: 1, Steps: 10, GeneratedTokens: 7, PromptTokens: 9, OutstandingTokens: 40, Preemptions: 2));
        metrics.Observe(new EngineStats(Running: 1, Waiting: 0, KvCacheUsage: 0.25, KvCacheAllocatedBytes: 1, Steps: 11, GeneratedTokens: 8, PromptTokens: 9, OutstandingTokens: 20, Preemptions: 5));

        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains($"{ServingMetricNames.Preemptions} 5", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.RequestsRunning} 1", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.KvCacheUsage} 0.25", text, StringComparison.Ordinal);
    }
}
