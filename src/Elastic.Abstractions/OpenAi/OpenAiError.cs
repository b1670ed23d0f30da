using System.Globalization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>An API error as OpenAI reports it (<c>{"error":{"message","type","param","code"}}</c>) plus the HTTP status it travels with.</summary>
public sealed record OpenAiError(OpenAiErrorKind Kind, string Message, string? Param = null, string? Code = null)
{
    public const string InvalidRequestType = "invalid_request_error";
    public const string AuthenticationType = "authentication_error";
    public const string RateLimitType = "rate_limit_error";
    public const string ServerType = "server_error";

    public int StatusCode => Kind switch
    {
        OpenAiErrorKind.InvalidRequest => 400,
        OpenAiErrorKind.Authentication => 401,
        OpenAiErrorKind.NotFound => 404,
        OpenAiErrorKind.RateLimit => 429,
        OpenAiErrorKind.Overloaded => 503,
        _ => 500,
    };

    /// <summary>OpenAI's <c>type</c>: 404s are invalid requests in OpenAI's API too.</summary>
    public string Type => Kind switch
    {
        OpenAiErrorKind.InvalidRequest or OpenAiErrorKind.NotFound => InvalidRequestType,
        OpenAiErrorKind.Authentication => AuthenticationType,
        OpenAiErrorKind.RateLimit => RateLimitType,
        _ => ServerType,
    };

    public static OpenAiError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(OpenAiErrorKind.InvalidRequest, message, param, code);

    public static OpenAiError InvalidApiKey() =>
        new(OpenAiErrorKind.Authentication, "Incorrect API key provided.", Code: "invalid_api_key");

    public static OpenAiError ModelNotFound(string model) =>
        new(OpenAiErrorKind.NotFound, $"The model `{model}` does not exist or you do not have access to it.", "model", "model_not_found");

    public static OpenAiError RouteNotFound(string method, string path) =>
        new(OpenAiErrorKind.NotFound, $"Invalid URL ({method} {path})");

    public static OpenAiError RateLimited(string message) =>
        new(OpenAiErrorKind.RateLimit, message, Code: "rate_limit_exceeded");

    public static OpenAiError Overloaded() =>
        new(OpenAiErrorKind.Overloaded, "The server is overloaded with requests; retry shortly.", Code: "engine_overloaded");

    public static OpenAiError Internal() =>
        new(OpenAiErrorKind.Server, "The server had an error while processing your request. Retry your request.");

    /// <summary>OpenAI's message when prompt plus completion exceed the context; <paramref name="promptPart"/> is "prompt" or "messages".</summary>
    public static OpenAiError ContextLengthExceeded(int maxModelLength, int promptTokens, int completionTokens, string promptPart) =>
        InvalidRequest(
            string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {maxModelLength} tokens. However, you requested {promptTokens + completionTokens} tokens ({promptTokens} in the {promptPart}, {completionTokens} in the completion). Please reduce the length of the {promptPart} or completion."),
            promptPart,
            "context_length_exceeded");

    /// <summary>The JSON body sent to the client.</summary>
    public OpenAiErrorResponse ToResponse() => new(new OpenAiErrorBody(Message, Type, Param, Code));
}
