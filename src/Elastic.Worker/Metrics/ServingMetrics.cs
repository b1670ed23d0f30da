using Elastic.Inference.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Elastic.Worker.Metrics;

/// <summary>
/// The worker's serving metrics in Prometheus form, on a registry the host owns (never the global one, so tests
/// and two hosts in one process do not collide). Each choice of a request is one engine sequence and is
/// counted and timed as one request, as vLLM counts sequences of a parallel-sampling request.
/// </summary>
public sealed class ServingMetrics
{
    // vLLM's bucket boundaries (vllm/engine/metrics.py), so its dashboards' quantile queries carry over.
    private static readonly double[] TimeToFirstTokenBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];

    private static readonly double[] InterTokenBuckets =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

    private static readonly double[] RequestLatencyBuckets =
        [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];

    private readonly Gauge _running;
    private readonly Gauge _waiting;
    private readonly Gauge _kvCacheUsage;
    private readonly Histogram _timeToFirstToken;
    private readonly Histogram _interTokenLatency;
    private readonly Histogram _endToEnd;
    private readonly Histogram _queueTime;
    private readonly Counter _promptTokens;
    private readonly Counter _generationTokens;
    private readonly Counter _requests;
    private readonly Counter _preemptions;

    public ServingMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Registry = registry;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _running = factory.CreateGauge(ServingMetricNames.RequestsRunning, "Sequences in the engine's running batch.");
        _waiting = factory.CreateGauge(ServingMetricNames.RequestsWaiting, "Sequences waiting for admission to the batch.");
        _kvCacheUsage = factory.CreateGauge(ServingMetricNames.KvCacheUsage, "Fraction of the KV-cache budget reserved (1 = full).");
        _timeToFirstToken = factory.CreateHistogram(ServingMetricNames.TimeToFirstToken, "Seconds from request arrival to the first generated token.",
            new HistogramConfiguration { Buckets = TimeToFirstTokenBuckets });
        _interTokenLatency = factory.CreateHistogram(ServingMetricNames.InterTokenLatency, "Seconds between consecutive generated tokens of a sequence.",
            new HistogramConfiguration { Buckets = InterTokenBuckets });
        _endToEnd = factory.CreateHistogram(ServingMetricNames.EndToEndLatency, "Seconds from request arrival to the sequence's last token.",
            new HistogramConfiguration { Buckets = RequestLatencyBuckets });
        _queueTime = factory.CreateHistogram(ServingMetricNames.QueueTime,
            "Seconds a sequence waited in the engine's queue before it first joined the running batch (prefill not included).",
            new HistogramConfiguration { Buckets = RequestLatencyBuckets });
        _promptTokens = factory.CreateCounter(ServingMetricNames.PromptTokens, "Prompt tokens processed.");
        _generationTokens = factory.CreateCounter(ServingMetricNames.GenerationTokens, "Tokens generated.");
        _requests = factory.CreateCounter(ServingMetricNames.Requests,
            "Finished sequences by finish reason (stop, length, abort), and refused requests by HTTP status (400, 404, 500, 503).", "status");
        _preemptions = factory.CreateCounter(ServingMetricNames.Preemptions,
            "Sequences that gave up their KV cache so that older ones could grow; each recomputes its tokens when readmitted.");
        ExpertTokens = factory.CreateCounter(ServingMetricNames.ExpertTokens, "Token-to-expert assignments by MoE layer, expert and shard.",
            "layer", "expert", "shard");
    }

    public CollectorRegistry Registry { get; }

    internal Counter ExpertTokens { get; }

    /// <summary>Sets the engine gauges from a snapshot.</summary>
    public void Observe(EngineStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        _running.Set(stats.Running);
        _waiting.Set(stats.Waiting);
        _kvCacheUsage.Set(stats.KvCacheUsage);
        _preemptions.IncTo(stats.Preemptions);
    }

    /// <summary>Refreshes the engine gauges from <paramref name="stats"/> on every scrape, so they are never stale.</summary>
    public void ObserveOnScrape(Func<EngineStats?> stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        Registry.AddBeforeCollectCallback(() =>
        {
            if (stats() is { } snapshot)
            {
                Observe(snapshot);
            }
        });
    }

    /// <summary>Publishes <paramref name="transfers"/> as counters, read on every scrape.</summary>
    public void ObserveOnScrape(TransferCounters transfers)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        var kvBytes = factory.CreateCounter(ServingMetricNames.KvTransferBytes, "KV-cache bytes received from prefill silos (payload).");
        var kvTokens = factory.CreateCounter(ServingMetricNames.KvTransferTokens, "Prompt tokens whose KV cache was received from prefill silos.");
        var dispatch = factory.CreateCounter(ServingMetricNames.ExpertDispatchBytes, "Activation bytes exchanged with expert shards on other silos (payload), by direction.",
            new CounterConfiguration { LabelNames = ["direction"] });
        var calls = factory.CreateCounter(ServingMetricNames.ExpertDispatchCalls, "Calls to expert shards on other silos (one per shard per MoE layer per step).");
        var inProcess = factory.CreateCounter(ServingMetricNames.ExpertInProcessCalls, "Expert-shard batches computed in this process because the shard is active here (not in elastic_expert_dispatch_*).");
        Registry.AddBeforeCollectCallback(() =>
        {
            kvBytes.IncTo(transfers.KvBytes);
            kvTokens.IncTo(transfers.KvTokens);
            dispatch.WithLabels("sent").IncTo(transfers.ExpertBytesSent);
            dispatch.WithLabels("received").IncTo(transfers.ExpertBytesReceived);
            calls.IncTo(transfers.ExpertCalls);
            inProcess.IncTo(transfers.ExpertCallsInProcess);
        });
    }

    public void RecordTimeToFirstToken(TimeSpan elapsed) => _timeToFirstToken.Observe(elapsed.TotalSeconds);

    public void RecordInterTokenLatency(TimeSpan elapsed) => _interTokenLatency.Observe(elapsed.TotalSeconds);

    public void RecordEndToEndLatency(TimeSpan elapsed) => _endToEnd.Observe(elapsed.TotalSeconds);

    public void RecordQueueTime(TimeSpan elapsed) => _queueTime.Observe(elapsed.TotalSeconds);

    public void RecordPromptTokens(int count) => _promptTokens.Inc(count);

    public void RecordGenerationTokens(int count) => _generationTokens.Inc(count);

    /// <summary>One finished sequence ("stop", "length", "abort") or one refused request (its HTTP status, e.g. "503").</summary>
    public void RecordRequest(string status) => _requests.WithLabels(status).Inc();
}

/// <summary>Exposes a <see cref="ServingMetrics"/> registry in Prometheus text format.</summary>
public static class ServingMetricsEndpoints
{
    public static IEndpointConventionBuilder MapServingMetrics(this IEndpointRouteBuilder app, ServingMetrics metrics, string pattern = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return app.MapMetrics(pattern, metrics.Registry);
    }
}
