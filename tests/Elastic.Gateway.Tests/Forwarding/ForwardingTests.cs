using System.Diagnostics;
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
    public async Task StreamedCompletion_ChunksReachClientAsWorkerWritesThem()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        worker.StreamChunks = 5;
        worker.ChunkInterval = TimeSpan.FromMilliseconds(200);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = GatewayHost.Json("""{"model":"tiny","prompt":"hi","max_tokens":5,"stream":true}"""),
        };
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var arrivals = new List<long>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? line;
        var done = false;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (line == "data: [DONE]")
            {
                done = true;
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                arrivals.Add(Stopwatch.GetTimestamp());
            }
        }

        Assert.True(done);
        Assert.Equal(5, arrivals.Count);
        // Unbuffered: the first chunk is at the client ~800 ms before the worker writes the last one.
        Assert.True(arrivals[0] < worker.LastChunkWrittenAt, "first chunk arrived only after the last was written: the response was buffered");
        var spread = Stopwatch.GetElapsedTime(arrivals[0], arrivals[^1]);
        Assert.True(spread >= TimeSpan.FromMilliseconds(400), $"chunks arrived within {spread.TotalMilliseconds:F0} ms of each other: the response was buffered");
    }
}
