using System.Net;
using System.Text.Json;
using Elastic.Gateway.Tests.TestSupport;

namespace Elastic.Gateway.Tests.Forwarding;

[Trait("Category", "Integration")]
public sealed class ForwardingTests
{
    [Fact]
    public async Task Completion_IsForwardedToWorker_AndAnswerComesBack()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using var response = await gateway.CompleteAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("w1", body.RootElement.GetProperty("worker").GetString());
        Assert.Equal(1, worker.Hits);
    }

    [Fact]
    public async Task Models_IsForwardedToWorker()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using var response = await gateway.Client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"tiny\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayApiKey_IsNotPassedOnToWorker()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        var options = GatewayHost.FastOptions(worker);
        options.ApiKeys.Add("sk-gateway-key-1234");
        await using var gateway = await GatewayHost.StartAsync(options);
        await gateway.WaitForLiveWorkersAsync(1);

        using var response = await gateway.CompleteAsync("sk-gateway-key-1234");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(worker.AuthorizationHeadersSeen.TryDequeue(out var seen));
        Assert.Equal("", seen);
    }

    [Fact]
    public async Task ClientLeavingMidStream_CancelsTheWorkersResponse()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        worker.StreamChunks = 1000;
        worker.ChunkInterval = TimeSpan.FromMilliseconds(20);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = GatewayHost.Json("""{"model":"tiny","prompt":"hi","max_tokens":1000,"stream":true}""") })
        using (var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }

        // Disposing the response closes the client's connection; the gateway must pass the cancellation on.
        await Eventually.TrueAsync(() => Task.FromResult(worker.StreamsAborted == 1), "the worker's stream aborted after the client left");

        // A client that leaves is not a failing worker: SREs alert on upstream errors.
        await Task.Delay(200);
        var metrics = await gateway.Client.GetStringAsync("/metrics");
        Assert.DoesNotContain(metrics.Split('\n'), line => line.StartsWith("elastic_gateway_upstream_errors_total{", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientLeavingBeforeTheAnswer_IsCounted499_Not502()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        worker.AnswerGate = new TaskCompletionSource().Task;
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using (var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gateway.Client.PostAsync(
                "/v1/completions", GatewayHost.Json("""{"model":"tiny","prompt":"hi"}"""), leave.Token));
        }

        // The gateway finishes the request after the client left; a 502 there would count as a worker failure.
        await Eventually.TrueAsync(
            async () => (await gateway.Client.GetStringAsync("/metrics")).Contains("status=\"499\"", StringComparison.Ordinal),
            "the cancelled request counted as 499");
        var metrics = await gateway.Client.GetStringAsync("/metrics");
        Assert.DoesNotContain("status=\"502\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(metrics.Split('\n'), line => line.StartsWith("elastic_gateway_upstream_errors_total{", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StreamedCompletion_ChunksReachClientAsWorkerWritesThem()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        worker.StreamChunks = 5;
        worker.ChunkInterval = TimeSpan.FromMilliseconds(20);
        // The worker holds its last chunk until the client has the first: a buffered response could never get there.
        var firstChunkArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.LastChunkGate = firstChunkArrived.Task;
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = GatewayHost.Json("""{"model":"tiny","prompt":"hi","max_tokens":5,"stream":true}"""),
        };
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var chunks = 0;
        var done = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        try
        {
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == "data: [DONE]")
                {
                    done = true;
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    chunks++;
                    firstChunkArrived.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{chunks} chunk(s) reached the client in 30 s while the worker held back its last one: the response was buffered");
        }

        Assert.True(done);
        Assert.Equal(5, chunks);
    }
}
