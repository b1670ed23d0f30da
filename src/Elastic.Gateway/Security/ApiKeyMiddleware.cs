using Elastic.Abstractions.OpenAi;
using System.Security.Cryptography;
using System.Text;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace Elastic.Gateway.Security;

/// <summary>
/// Bearer API keys on <c>/v1/*</c>, answered as OpenAI does (401, <c>invalid_api_key</c>). Keys are compared as
/// SHA-256 digests in fixed time, so response timing does not reveal how much of a guess was right.
/// Health, readiness and metrics stay open for probes and Prometheus.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
{
    /// <summary>HttpContext item holding the index of the accepted key, the rate limiter's partition.</summary>
    public const string KeyIndexItem = "Elastic.Gateway.ApiKeyIndex";

    private readonly byte[][] _keyDigests = options.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();

    public Task InvokeAsync(HttpContext context)
    {
        if (_keyDigests.Length == 0 || !context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
        {
            return OpenAiError.MissingApiKey().WriteAsync(context);
        }

        var presented = header[scheme.Length..].Trim();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = -1;
        for (var i = 0; i < _keyDigests.Length; i++)
        {
            // No early exit: every key is compared whatever matched.
            if (CryptographicOperations.FixedTimeEquals(digest, _keyDigests[i]))
            {
                match = i;
            }
        }

        if (match < 0)
        {
            return OpenAiError.IncorrectApiKey(Redact(presented)).WriteAsync(context);
        }

        context.Items[KeyIndexItem] = match;
        return next(context);
    }

    /// <summary>OpenAI's style: the first and last few characters, so a user can tell which key they sent.</summary>
    internal static string Redact(string key) =>
        key.Length <= 8 ? new string('*', key.Length) : $"{key[..3]}{new string('*', Math.Min(key.Length - 7, 20))}{key[^4..]}";
}
