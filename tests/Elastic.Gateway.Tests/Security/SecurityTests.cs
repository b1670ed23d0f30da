using System.Net;
using Elastic.Gateway.Security;
using Elastic.Gateway.Tests.TestSupport;

namespace Elastic.Gateway.Tests.Security;

[Trait("Category", "Integration")]
public sealed class SecurityTests
{
    [Fact]
    public async Task MissingApiKey_Is401_WithOpenAiError()
    {
        await using var gateway = await StartAsync(0);

        using var response = await gateway.CompleteAsync();

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task WrongApiKey_Is401_WithOpenAiError_AndKeyRedacted()
    {
        await using var gateway = await StartAsync(0);

        using var response = await gateway.CompleteAsync("sk-wrong-key-000000");

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.StartsWith("Incorrect API key provided", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong-key-000000", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthAndMetrics_NeedNoApiKey()
    {
        await using var gateway = await StartAsync(0);

        using var health = await gateway.Client.GetAsync("/healthz");
        using var metrics = await gateway.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task RequestsOverPerKeyRate_Are429_WithRetryAfter_AndOtherKeysUnaffected()
    {
        await using var worker = await FakeWorker.StartAsync("w1");
        await using var gateway = await StartAsync(2, worker);
        await gateway.WaitForLiveWorkersAsync(1);

        using var first = await gateway.CompleteAsync("sk-key-one-123456");
        using var second = await gateway.CompleteAsync("sk-key-one-123456");
        using var third = await gateway.CompleteAsync("sk-key-one-123456");
        using var otherKey = await gateway.CompleteAsync("sk-key-two-654321");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await OpenAiErrorAssert.IsErrorAsync(third, HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        Assert.True(third.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData(1)]
    [InlineData(90)]
    [InlineData(6000)]
    [InlineData(100_000)]
    public void TokenBucket_RefillsAtExactlyTheConfiguredRate(int perMinute)
    {
        var bucket = ApiKeyRateLimiting.BucketFor(perMinute);

        Assert.Equal(perMinute, bucket.TokenLimit);
        Assert.True(bucket.ReplenishmentPeriod >= TimeSpan.FromMilliseconds(100));
        var perMinuteRefill = bucket.TokensPerPeriod * (TimeSpan.FromMinutes(1) / bucket.ReplenishmentPeriod);
        Assert.Equal(perMinute, perMinuteRefill, precision: 3);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Redact_ShowsOnlyEnds()
    {
        Assert.Equal("sk-************cdef", ApiKeyMiddleware.Redact("sk-0123456789abcdef"));
        Assert.Equal("****", ApiKeyMiddleware.Redact("abcd"));
    }

    private static Task<GatewayHost> StartAsync(int perMinute, params FakeWorker[] workers)
    {
        var options = GatewayHost.FastOptions(workers);
        options.ApiKeys.Add("sk-key-one-123456");
        options.ApiKeys.Add("sk-key-two-654321");
        options.RequestsPerMinutePerKey = perMinute;
        return GatewayHost.StartAsync(options);
    }
}
