namespace Elastic.Gateway;

/// <summary>The routes the gateway serves; the names double as the <c>route</c> label of its metrics.</summary>
internal static class GatewayRoutes
{
    public const string Models = "models";
    public const string Completions = "completions";
    public const string ChatCompletions = "chat_completions";
    public const string Health = "healthz";
    public const string Ready = "readyz";
    public const string Metrics = "metrics";
    public const string Unmatched = "unmatched";

    public const string ModelsPath = "/v1/models";
    public const string CompletionsPath = "/v1/completions";
    public const string ChatCompletionsPath = "/v1/chat/completions";
    public const string HealthPath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string MetricsPath = "/metrics";

    /// <summary>The metric label for a request path; a fixed set so label cardinality stays bounded.</summary>
    public static string LabelFor(PathString path)
    {
        if (path.Equals(ChatCompletionsPath, StringComparison.OrdinalIgnoreCase))
        {
            return ChatCompletions;
        }

        if (path.Equals(CompletionsPath, StringComparison.OrdinalIgnoreCase))
        {
            return Completions;
        }

        if (path.StartsWithSegments(ModelsPath, StringComparison.OrdinalIgnoreCase))
        {
            return Models;
        }

        if (path.Equals(HealthPath, StringComparison.OrdinalIgnoreCase))
        {
            return Health;
        }

        if (path.Equals(ReadyPath, StringComparison.OrdinalIgnoreCase))
        {
            return Ready;
        }

        return path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase) ? Metrics : Unmatched;
    }
}
