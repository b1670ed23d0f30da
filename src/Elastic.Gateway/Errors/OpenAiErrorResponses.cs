using System.Globalization;
using Elastic.Abstractions.OpenAi;

namespace Elastic.Gateway.Errors;

/// <summary>Answers a request with an OpenAI error object, the same JSON the workers send.</summary>
internal static class OpenAiErrorResponses
{
    /// <summary>Replaces whatever response was being prepared with this error; the response must not have started.</summary>
    public static async Task WriteAsync(this OpenAiError error, HttpContext context)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = error.StatusCode;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        var body = OpenAiErrorWriter.ToUtf8Json(error);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
