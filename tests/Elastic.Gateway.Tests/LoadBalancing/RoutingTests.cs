using System.Net;
using Elastic.Gateway.Destinations;
using Elastic.Gateway.LoadBalancing;
using Elastic.Gateway.Tests.TestSupport;

namespace Elastic.Gateway.Tests.LoadBalancing;

[Trait("Category", "Integration")]
public sealed class RoutingTests
{
    [Fact]
    public async Task Requests_GoToIdleWorker_NotToBusyOne()
    {
        await using var busy = await FakeWorker.StartAsync("busy");
        await using var idle = await FakeWorker.StartAsync("idle");
        busy.Load = new WorkerLoad(16, 4, 0.8, 20_000);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(busy, idle));
        await gateway.WaitForLiveWorkersAsync(2);

        for (var i = 0; i < 5; i++)
        {
            using var response = await gateway.CompleteAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(5, idle.Hits);
        Assert.Equal(0, busy.Hits);
    }

    [Fact]
    public async Task DeadWorker_IsSkipped()
    {
        await using var preferred = await FakeWorker.StartAsync("preferred");
        await using var other = await FakeWorker.StartAsync("other");
        other.Load = new WorkerLoad(4, 0, 0.2, 3_000);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(preferred, other));
        await gateway.WaitForLiveWorkersAsync(2);

        await preferred.StopAsync();
        await gateway.WaitForLiveWorkersAsync(1);

        for (var i = 0; i < 5; i++)
        {
            using var response = await gateway.CompleteAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(5, other.Hits);
    }

    [Fact]
    public async Task WorkerAddedToDirectory_StartsReceivingTraffic()
    {
        await using var first = await FakeWorker.StartAsync("first");
        await using var added = await FakeWorker.StartAsync("added");
        first.Load = new WorkerLoad(8, 2, 0.6, 9_000);
        var directory = new InMemoryWorkerDirectory([WorkerEndpoint.FromUrl(first.Address.ToString())]);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(), directory);
        await gateway.WaitForLiveWorkersAsync(1);
        using (var before = await gateway.CompleteAsync())
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        Assert.Equal(1, first.Hits);

        directory.Update([WorkerEndpoint.FromUrl(first.Address.ToString()), WorkerEndpoint.FromUrl(added.Address.ToString())]);
        await gateway.WaitForLiveWorkersAsync(2);

        await Eventually.TrueAsync(async () =>
        {
            using var response = await gateway.CompleteAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return added.Hits > 0;
        }, "the added worker to receive a request");
    }
}
