using Elastic.Abstractions.OpenAi;
using System.Globalization;
using System.Threading.RateLimiting;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.Errors;
using Microsoft.AspNetCore.RateLimiting;

namespace Elastic.Gateway.Security;

/// <summary>Per-key request rate limits (ASP.NET Core rate limiting, one token bucket per key), answered with OpenAI's 429.</summary>
internal static class ApiKeyRateLimiting
{
    /// <summary>Below this the partitioned limiter's 100 ms replenishment tick would round the rate.</summary>
    private static readonly TimeSpan MinimumPeriod = TimeSpan.FromMilliseconds(100);

    public static void Configure(RateLimiterOptions limiter, GatewayOptions options)
    {
        var perMinute = options.RequestsPerMinutePerKey;
        var bucket = BucketFor(perMinute);
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase)
                ? RateLimitPartition.GetTokenBucketLimiter(PartitionOf(context), _ => bucket)
                : RateLimitPartition.GetNoLimiter(string.Empty));
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = (rejected, _) =>
        {
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                : Math.Max(1, (int)Math.Ceiling(60.0 / perMinute));
            return new ValueTask(OpenAiError.RateLimited(perMinute, retryAfter).WriteAsync(rejected.HttpContext));
        };
    }

    /// <summary>
    /// A bucket holding one minute's worth of requests, refilled continuously at the per-minute rate:
    /// k tokens every k·60/rpm seconds, with k the smallest count that keeps the period at or above 100 ms.
    /// </summary>
    internal static TokenBucketRateLimiterOptions BucketFor(int requestsPerMinute)
    {
        var perToken = TimeSpan.FromMinutes(1) / requestsPerMinute;
        var tokensPerPeriod = (int)Math.Ceiling(MinimumPeriod / perToken);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = requestsPerMinute,
            TokensPerPeriod = Math.Max(1, tokensPerPeriod),
            ReplenishmentPeriod = perToken * Math.Max(1, tokensPerPeriod),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static string PartitionOf(HttpContext context) =>
        context.Items.TryGetValue(ApiKeyMiddleware.KeyIndexItem, out var index) && index is int i
            ? string.Create(CultureInfo.InvariantCulture, $"key:{i}")
            : $"ip:{context.Connection.RemoteIpAddress}";
}
