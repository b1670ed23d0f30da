using System.Globalization;
using Prometheus;
using Yarp.ReverseProxy.Forwarder;

namespace Elastic.Gateway.Observability;

/// <summary>The gateway's Prometheus instruments, all in one registry passed in by the host (never the global one).</summary>
internal sealed class GatewayMetrics
{
    public const string RequestsTotal = "elastic_gateway_requests_total";
    public const string RequestDuration = "elastic_gateway_request_duration_seconds";
    public const string RequestsInFlight = "elastic_gateway_requests_in_flight";
    public const string UpstreamErrorsTotal = "elastic_gateway_upstream_errors_total";
    public const string Workers = "elastic_gateway_workers";

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Gauge _inFlight;
    private readonly Counter _upstreamErrors;
    private readonly Gauge _workers;

    public GatewayMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _requests = factory.CreateCounter(RequestsTotal, "Requests answered by the gateway, by route and status code.",
            new CounterConfiguration { LabelNames = ["route", "status"] });
        // 5 ms .. ~11 min: from a rejected request to a long streamed generation.
        _duration = factory.CreateHistogram(RequestDuration, "Time from request arrival to the end of the response (the whole stream for SSE), by route.",
            new HistogramConfiguration { LabelNames = ["route"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 18) });
        _inFlight = factory.CreateGauge(RequestsInFlight, "Requests being handled by the gateway, by route.",
            new GaugeConfiguration { LabelNames = ["route"] });
        _upstreamErrors = factory.CreateCounter(UpstreamErrorsTotal, "Forwarding failures, by YARP error kind.",
            new CounterConfiguration { LabelNames = ["kind"] });
        _workers = factory.CreateGauge(Workers, "Workers in the directory, by state (live: answering load polls).",
            new GaugeConfiguration { LabelNames = ["state"] });
    }

    public IDisposable TrackInFlight(string route) => _inFlight.WithLabels(route).TrackInProgress();

    public void RequestCompleted(string route, int status, TimeSpan duration)
    {
        _requests.WithLabels(route, status.ToString(CultureInfo.InvariantCulture)).Inc();
        _duration.WithLabels(route).Observe(duration.TotalSeconds);
    }

    public void UpstreamError(ForwarderError error) => _upstreamErrors.WithLabels(error.ToString()).Inc();

    public void SetWorkers(int total, int live)
    {
        _workers.WithLabels("live").Set(live);
        _workers.WithLabels("not_live").Set(total - live);
    }
}
