using System.Text.Json.Serialization.Metadata;
using Elastic.Abstractions.OpenAi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Elastic.Worker.Api;

/// <summary>
/// An OpenAI event stream on the response. Headers go out with the first event, so a request refused before
/// producing anything still gets a proper status code; every event is flushed at once (no buffering).
/// </summary>
internal sealed class SseResponse(HttpContext http)
{
    public bool Started => http.Response.HasStarted;

    public async Task WriteAsync<T>(T chunk, JsonTypeInfo<T> typeInfo)
    {
        await StartAsync().ConfigureAwait(false);
        OpenAiSse.WriteEvent(http.Response.BodyWriter, chunk, typeInfo);
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    public async Task WriteErrorAsync(OpenAiError error)
    {
        await StartAsync().ConfigureAwait(false);
        OpenAiSse.WriteError(http.Response.BodyWriter, error);
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    public async Task WriteDoneAsync()
    {
        await StartAsync().ConfigureAwait(false);
        OpenAiSse.WriteDone(http.Response.BodyWriter);
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private async Task StartAsync()
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = OpenAiSse.ContentType;
        http.Response.Headers.CacheControl = "no-cache";
        // Tells nginx-style proxies in front of the worker not to buffer the stream either.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
