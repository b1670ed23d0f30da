using Elastic.Abstractions.OpenAi;
using Elastic.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Elastic.Gateway.Errors;

/// <summary>
/// Proxy-pipeline step: reads the whole body (bounded by the size limit), lets the <see cref="IRequestValidator"/>
/// judge it, and hands the same bytes on to YARP. Runs only on proxied routes.
/// </summary>
internal sealed class RequestValidationStep(IRequestValidator validator, IOptions<GatewayOptions> options)
{
    private readonly long _limit = options.Value.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var operation = OperationOf(context.Request.Path);
        if (operation is null)
        {
            await next().ConfigureAwait(false);
            return;
        }

        var body = context.Request.ContentLength > _limit ? null : await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await DrainAsync(context).ConfigureAwait(false);
            await OpenAiError.BodyTooLarge(_limit).WriteAsync(context).ConfigureAwait(false);
            return;
        }

        if (validator.Validate(operation.Value, body.AsSpan()) is { } error)
        {
            await error.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Request.Body = new MemoryStream(body, writable: false);
        context.Request.ContentLength = body.Length;
        await next().ConfigureAwait(false);
    }

    private static OpenAiOperation? OperationOf(PathString path)
    {
        if (path.Equals(GatewayRoutes.ChatCompletionsPath, StringComparison.OrdinalIgnoreCase))
        {
            return OpenAiOperation.ChatCompletions;
        }

        return path.Equals(GatewayRoutes.CompletionsPath, StringComparison.OrdinalIgnoreCase) ? OpenAiOperation.Completions : null;
    }

    /// <summary>
    /// Reads and drops the rest of a rejected body (Kestrel stops it at <see cref="KestrelDrainAllowance"/> past the limit).
    /// Closing a socket with unread data makes TCP reset it, and the client may then lose the 413 it was sent.
    /// </summary>
    private static async Task DrainAsync(HttpContext context)
    {
        var sink = new byte[16 * 1024];
        try
        {
            while (await context.Request.Body.ReadAsync(sink, context.RequestAborted).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Past Kestrel's own limit: the connection will be closed; the 413 is still attempted.
        }
    }

    /// <summary>How far past the gateway's limit Kestrel lets a rejected body be drained.</summary>
    public const long KestrelDrainAllowance = 1024 * 1024;

    /// <summary>The body, or null when it is longer than the limit (checked here too: chunked bodies have no length).</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream(context.Request.ContentLength is { } n ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > _limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
