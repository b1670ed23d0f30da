using System.Globalization;
using System.Text.Json;

namespace Elastic.Gateway.Errors;

/// <summary>
/// An error the gateway itself answers, in OpenAI's shape:
/// <c>{"error":{"message":"...","type":"invalid_request_error","param":null,"code":null}}</c>.
/// </summary>
public sealed record OpenAiError(int StatusCode, string Message, string Type, string? Param = null, string? Code = null)
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ServerError = "server_error";

    /// <summary>Seconds the client should wait before retrying (sent as <c>Retry-After</c>); null for none.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static OpenAiError MalformedJson() => new(
        StatusCodes.Status400BadRequest,
        "We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.",
        InvalidRequest);

    public static OpenAiError MissingParameter(string param) => new(
        StatusCodes.Status400BadRequest, $"Missing required parameter: '{param}'.", InvalidRequest, param, "missing_required_parameter");

    public static OpenAiError InvalidType(string param, string expected) => new(
        StatusCodes.Status400BadRequest, $"Invalid type for '{param}': expected {expected}.", InvalidRequest, param, "invalid_type");

    public static OpenAiError MissingApiKey() => new(
        StatusCodes.Status401Unauthorized,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        InvalidRequest, null, "invalid_api_key");

    public static OpenAiError IncorrectApiKey(string shownKey) => new(
        StatusCodes.Status401Unauthorized, $"Incorrect API key provided: {shownKey}.", InvalidRequest, null, "invalid_api_key");

    public static OpenAiError UnknownUrl(string method, string path) => new(
        StatusCodes.Status404NotFound, $"Invalid URL ({method} {path})", InvalidRequest);

    public static OpenAiError BodyTooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        string.Create(CultureInfo.InvariantCulture, $"Request body too large: the limit is {limit} bytes."),
        InvalidRequest, null, "request_too_large");

    public static OpenAiError RateLimited(int requestsPerMinute, int retryAfterSeconds) => new(
        StatusCodes.Status429TooManyRequests,
        string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for requests: limit {requestsPerMinute} per minute. Please try again in {retryAfterSeconds}s."),
        "requests", null, "rate_limit_exceeded")
    { RetryAfterSeconds = retryAfterSeconds };

    public static OpenAiError NoWorkerAvailable() => new(
        StatusCodes.Status503ServiceUnavailable, "No model worker is available to serve this request right now. Please retry shortly.", ServerError)
    { RetryAfterSeconds = 1 };

    public static OpenAiError WorkerFailed() => new(
        StatusCodes.Status502BadGateway, "The model worker failed while handling this request. Please retry.", ServerError);

    public static OpenAiError WorkerTimedOut() => new(
        StatusCodes.Status504GatewayTimeout, "The model worker stopped responding to this request. Please retry.", ServerError);

    public static OpenAiError Internal() => new(
        StatusCodes.Status500InternalServerError, "The server had an error while processing your request. Sorry about that!", ServerError);

    public static OpenAiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, message, InvalidRequest);

    /// <summary>The JSON body, exactly OpenAI's field set with explicit nulls.</summary>
    public byte[] ToJsonBytes()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", Message);
            json.WriteString("type", Type);
            WriteNullable(json, "param", Param);
            WriteNullable(json, "code", Code);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Replaces whatever response was being prepared with this error; the response must not have started.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.Clear();
        response.StatusCode = StatusCode;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        var body = ToJsonBytes();
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
