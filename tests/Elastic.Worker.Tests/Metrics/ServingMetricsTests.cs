using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Worker.Api;
using Elastic.Worker.Metrics;
using Microsoft.Extensions.Time.Testing;
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

        var text = await ExportAsync(registry);
        Assert.Contains($"{ServingMetricNames.Preemptions} 5", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.RequestsRunning} 1", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.KvCacheUsage} 0.25", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SequenceTelemetry_RecordsTheEnginesQueueTime_AndTtftFromArrival()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var time = new FakeTimeProvider();
        var sequence = new RequestTelemetry(new ServingMetrics(registry), time, time.GetTimestamp()).StartSequence();

        time.Advance(TimeSpan.FromSeconds(2));
        sequence.OnUpdate(new GenerationUpdate("a", null, null, PromptTokens: 5, OutputTokens: 1) { QueueTime = TimeSpan.FromSeconds(0.5) });
        time.Advance(TimeSpan.FromSeconds(1));
        sequence.OnUpdate(new GenerationUpdate("b", null, FinishReason.Length, PromptTokens: 5, OutputTokens: 2) { QueueTime = TimeSpan.FromSeconds(0.5) });

        var text = await ExportAsync(registry);
        Assert.Contains($"{ServingMetricNames.QueueTime}_sum 0.5", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.QueueTime}_count 1", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.TimeToFirstToken}_sum 2", text, StringComparison.Ordinal);
        Assert.Contains($"{ServingMetricNames.EndToEndLatency}_sum 3", text, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
