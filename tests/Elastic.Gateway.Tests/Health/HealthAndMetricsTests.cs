using System.Net;
using Elastic.Gateway.Tests.TestSupport;

namespace Elastic.Gateway.Tests.Health;

[Trait("Category", "Integration")]
public sealed class HealthAndMetricsTests
{
    [Fact]
    public async Task Readyz_Is503WithoutWorkers_AndHealthzStill200()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions());

        using var ready = await gateway.Client.GetAsync("/readyz");
        using var health = await gateway.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Readyz_Is200_OnceAWorkerAnswersLoadPolls()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));

        await gateway.WaitForLiveWorkersAsync(1);
        using var ready = await gateway.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Metrics_CountRequestsByRouteAndStatus()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);
        using (await gateway.CompleteAsync())
        using (await gateway.Client.GetAsync("/nope"))
        {
        }

        var text = await gateway.Client.GetStringAsync("/metrics");

        Assert.Contains("elastic_gateway_requests_total{route=\"completions\",status=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("elastic_gateway_requests_total{route=\"unmatched\",status=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("elastic_gateway_request_duration_seconds_count{route=\"completions\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("elastic_gateway_workers{state=\"live\"} 1", text, StringComparison.Ordinal);
    }
}
