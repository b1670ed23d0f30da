using Elastic.Abstractions.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Elastic.Worker.Api;

/// <summary>
/// The OpenAI-compatible HTTP API over the <see cref="IGenerationBackend"/> registered in DI:
/// <c>/v1/models</c>, <c>/v1/completions</c>, <c>/v1/chat/completions</c>, and OpenAI-shaped 404s for any other <c>/v1</c> path.
/// Serving metrics are recorded when a <see cref="Metrics.ServingMetrics"/> is registered too.
/// </summary>
public static class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapOpenAi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/v1/models", Guarded(ModelsEndpoint.ListAsync));
        app.MapGet("/v1/models/{model}", Guarded(ModelsEndpoint.GetAsync));
        app.MapPost("/v1/completions", Guarded(CompletionsEndpoint.HandleAsync));
        app.MapPost("/v1/chat/completions", Guarded(ChatCompletionsEndpoint.HandleAsync));
        app.MapFallback("/v1/{**path}", Guarded(api =>
            api.WriteErrorAsync(OpenAiError.RouteNotFound(api.Http.Request.Method, api.Http.Request.Path.Value ?? "/"))));
        return app;
    }

    /// <summary>Every failure becomes an OpenAI error (never a stack trace); a client that left is not an error.</summary>
    private static RequestDelegate Guarded(Func<ApiRequest, Task> handler) => async http =>
    {
        var api = ApiRequest.From(http);
        try
        {
            await handler(api).ConfigureAwait(false);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            ApiLog.ClientGone(api.Logger, http.Request.Method, http.Request.Path.Value);
        }
#pragma warning disable CA1031 // The API's contract is an OpenAI error body for any failure.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var error = api.ErrorFor(ex);
            if (http.Response.HasStarted)
            {
                ApiLog.StreamFailed(api.Logger, http.Request.Method, http.Request.Path.Value, ex);
                return;
            }

            await api.WriteErrorAsync(error).ConfigureAwait(false);
        }
    };
}
