using System.Net;
using Elastic.Gateway.Destinations;
using Elastic.Gateway.Tests.TestSupport;

namespace Elastic.Gateway.Tests.Errors;

[Trait("Category", "Integration")]
public sealed class ErrorResponseTests
{
    [Theory]
    [InlineData("GET", "/v1/engines")]
    [InlineData("POST", "/v1/embeddings")]
    [InlineData("GET", "/v1/chat/completions")]
    [InlineData("GET", "/favicon.ico")]
    public async Task UnknownRoute_Is404_WithOpenAiError(string method, string path)
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions());

        using var response = await gateway.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound);
        Assert.Equal($"Invalid URL ({method} {path})", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task BodyOverLimit_Is413_WithOpenAiError()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        var options = GatewayHost.FastOptions(worker);
        options.MaxRequestBodyBytes = 1024;
        await using var gateway = await GatewayHost.StartAsync(options);
        await gateway.WaitForLiveWorkersAsync(1);
        var big = $$"""{"model":"tiny","prompt":"{{new string('x', 4096)}}"}""";

        using var withLength = await gateway.Client.PostAsync("/v1/completions", GatewayHost.Json(big));
        using var chunked = await gateway.Client.PostAsync("/v1/completions", new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big))));

        await OpenAiErrorAssert.IsErrorAsync(withLength, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        await OpenAiErrorAssert.IsErrorAsync(chunked, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.Equal(0, worker.Hits);
    }

    [Theory]
    [InlineData("/v1/completions", "{\"model\":\"tiny\",\"prompt\":", null)]
    [InlineData("/v1/completions", "{\"prompt\":\"hi\"}", "model")]
    [InlineData("/v1/completions", "{\"model\":\"tiny\"}", "prompt")]
    [InlineData("/v1/chat/completions", "{\"model\":\"tiny\"}", "messages")]
    [InlineData("/v1/chat/completions", "[1,2]", null)]
    public async Task BadBody_Is400_WithOpenAiError_AndNeverReachesWorker(string path, string body, string? param)
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using var response = await gateway.Client.PostAsync(path, GatewayHost.Json(body));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(0, worker.Hits);
    }

    [Fact]
    public async Task NoWorkers_Is503_WithRetryAfter()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions());

        using var response = await gateway.CompleteAsync();

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task OnlyWorkerDead_Is503_NotAForwardingFailure()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);
        await worker.StopAsync();
        await gateway.WaitForLiveWorkersAsync(0);

        using var response = await gateway.CompleteAsync();

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task WorkerFailingMidRequest_Is502_ThenSkippedByPassiveHealth()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        worker.AbortRequests = true;
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.FastOptions(worker));
        await gateway.WaitForLiveWorkersAsync(1);

        using var failed = await gateway.CompleteAsync();
        using var next = await gateway.CompleteAsync();

        await OpenAiErrorAssert.IsErrorAsync(failed, HttpStatusCode.BadGateway);
        // Still answering /load, but one transport failure takes it out for the cooldown.
        await OpenAiErrorAssert.IsErrorAsync(next, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(1, worker.Hits);
    }
}
