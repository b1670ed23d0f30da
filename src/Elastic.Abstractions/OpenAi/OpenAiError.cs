using System.Globalization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>An API error as OpenAI reports it (<c>{"error":{"message","type","param","code"}}</c>) plus the HTTP status it travels with.</summary>
public sealed record OpenAiError(OpenAiErrorKind Kind, string Message, string? Param = null, string? Code = null)
{
    public const string InvalidRequestType = "invalid_request_error";
    // OpenAI's API answers a bad key with type invalid_request_error and a rate limit with type "requests".
    public const string RateLimitType = "requests";
    public const string ServerType = "server_error";

    public int StatusCode => Kind switch
    {
        OpenAiErrorKind.InvalidRequest => 400,
        OpenAiErrorKind.Authentication => 401,
        OpenAiErrorKind.NotFound => 404,
        OpenAiErrorKind.RateLimit => 429,
        OpenAiErrorKind.Overloaded => 503,
        OpenAiErrorKind.PayloadTooLarge => 413,
        OpenAiErrorKind.BadGateway => 502,
        OpenAiErrorKind.GatewayTimeout => 504,
        _ => 500,
    };

    /// <summary>OpenAI's <c>type</c>: 401s and 404s are invalid requests in OpenAI's API too.</summary>
    public string Type => Kind switch
    {
        OpenAiErrorKind.InvalidRequest or OpenAiErrorKind.NotFound or OpenAiErrorKind.PayloadTooLarge or OpenAiErrorKind.Authentication => InvalidRequestType,
        OpenAiErrorKind.RateLimit => RateLimitType,
        _ => ServerType,
    };

    /// <summary>Seconds the client should wait before retrying (sent as <c>Retry-After</c>); null for none.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static OpenAiError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(OpenAiErrorKind.InvalidRequest, message, param, code);

    public static OpenAiError MalformedJson() =>
        InvalidRequest("We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.");

    public static OpenAiError InvalidApiKey() =>
        new(OpenAiErrorKind.Authentication, "Incorrect API key provided.", Code: "invalid_api_key");

    public static OpenAiError MissingApiKey() =>
        new(OpenAiErrorKind.Authentication, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", Code: "invalid_api_key");

    /// <summary>A wrong key; <paramref name="shownKey"/> is the redacted form safe to echo.</summary>
    public static OpenAiError IncorrectApiKey(string shownKey) =>
        new(OpenAiErrorKind.Authentication, $"Incorrect API key provided: {shownKey}.", Code: "invalid_api_key");

    public static OpenAiError BodyTooLarge(long limit) =>
        new(OpenAiErrorKind.PayloadTooLarge, string.Create(CultureInfo.InvariantCulture, $"Request body too large: the limit is {limit} bytes."), Code: "request_too_large");

    public static OpenAiError RateLimited(int requestsPerMinute, int retryAfterSeconds) =>
        RateLimited(string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for requests: limit {requestsPerMinute} per minute. Please try again in {retryAfterSeconds}s.")) with { RetryAfterSeconds = retryAfterSeconds };

    public static OpenAiError NoWorkerAvailable() =>
        new(OpenAiErrorKind.Overloaded, "No model worker is available to serve this request right now. Please retry shortly.") { RetryAfterSeconds = 1 };

    public static OpenAiError WorkerFailed() =>
        new(OpenAiErrorKind.BadGateway, "The model worker failed while handling this request. Please retry.");

    public static OpenAiError WorkerTimedOut() =>
        new(OpenAiErrorKind.GatewayTimeout, "The model worker stopped responding to this request. Please retry.");

    public static OpenAiError ModelNotFound(string model) =>
        new(OpenAiErrorKind.NotFound, $"The model `{model}` does not exist or you do not have access to it.", "model", "model_not_found");

    public static OpenAiError RouteNotFound(string method, string path) =>
        new(OpenAiErrorKind.NotFound, $"Invalid URL ({method} {path})");

    public static OpenAiError RateLimited(string message) =>
        new(OpenAiErrorKind.RateLimit, message, Code: "rate_limit_exceeded");

    public static OpenAiError Overloaded() =>
        new(OpenAiErrorKind.Overloaded, "The server is overloaded with requests; retry shortly.", Code: "engine_overloaded") { RetryAfterSeconds = 1 };

    public static OpenAiError Internal() =>
        new(OpenAiErrorKind.Server, "The server had an error while processing your request. Retry your request.");

    /// <summary>OpenAI's message when prompt plus completion exceed the context; <paramref name="promptPart"/> is "prompt" or "messages".</summary>
    public static OpenAiError ContextLengthExceeded(int maxModelLength, int promptTokens, int completionTokens, string promptPart) =>
        InvalidRequest(
            string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {maxModelLength} tokens. However, you requested {(long)promptTokens + completionTokens} tokens ({promptTokens} in the {promptPart}, {completionTokens} in the completion). Please reduce the length of the {promptPart} or completion."),
            promptPart,
            "context_length_exceeded");

    /// <summary>The JSON body sent to the client.</summary>
    public OpenAiErrorResponse ToResponse() => new(new OpenAiErrorBody(Message, Type, Param, Code));
}
