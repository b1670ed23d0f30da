using Elastic.Abstractions.OpenAi;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Elastic.Gateway.Errors;

/// <summary>
/// Turns whatever goes wrong inside the gateway into an OpenAI error object: forwarding failures (503 no worker,
/// 502 worker failed, 504 worker silent) and exceptions (500, never with a stack trace). A failure after the
/// response has started (a stream cut mid-way) cannot be reported in-band; the connection is aborted so the
/// client sees a truncated stream rather than a clean end.
/// </summary>
internal sealed partial class GatewayErrorMiddleware(RequestDelegate next, GatewayMetrics metrics, IOptions<GatewayOptions> options, ILogger<GatewayErrorMiddleware> logger)
{
    /// <summary>The status requests_total records for a client that left before the answer began (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private readonly long _bodyLimit = options.Value.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (BadHttpRequestException ex)
        {
            await WriteIfPossibleAsync(context, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? OpenAiError.BodyTooLarge(_bodyLimit)
                : OpenAiError.InvalidRequest("The request could not be read.")).ConfigureAwait(false);
            return;
        }
#pragma warning disable CA1031 // The last line of defence: any exception becomes a 500 without internals.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            UnhandledException(logger, context.Request.Method, context.Request.Path, ex);
            await WriteIfPossibleAsync(context, OpenAiError.Internal()).ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IForwarderErrorFeature>() is not { } forwarderError)
        {
            return;
        }

        if (context.RequestAborted.IsCancellationRequested || forwarderError.Error is ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient)
        {
            // The client left or its connection failed (YARP reports RequestCanceled before the answer began,
            // ResponseBodyCanceled or ResponseBodyClient during a stream): nobody to tell, and no worker failed, so it
            // is neither an upstream error nor a warning. The worker counts the sequence as aborted.
            ClientGone(logger, forwarderError.Error, context.Request.Path);
            if (!context.Response.HasStarted)
            {
                // YARP leaves 502 here; nginx's 499 ("client closed request") keeps it out of 5xx rates and alerts.
                context.Response.StatusCode = ClientClosedRequest;
            }

            return;
        }

        metrics.UpstreamError(forwarderError.Error);
        ForwardFailed(logger, forwarderError.Error, context.Request.Path, forwarderError.Exception?.Message);
        var error = forwarderError.Error switch
        {
            ForwarderError.NoAvailableDestinations => OpenAiError.NoWorkerAvailable(),
            ForwarderError.RequestTimedOut => OpenAiError.WorkerTimedOut(),
            _ => OpenAiError.WorkerFailed(),
        };
        await WriteIfPossibleAsync(context, error).ConfigureAwait(false);
    }

    private static async Task WriteIfPossibleAsync(HttpContext context, OpenAiError error)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        await error.WriteAsync(context).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void UnhandledException(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Forwarding failed ({Error}) for {Path}: {Reason}")]
    private static partial void ForwardFailed(ILogger logger, ForwarderError error, string path, string? reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Client left during forwarding ({Error}) for {Path}")]
    private static partial void ClientGone(ILogger logger, ForwarderError error, PathString path);
}
