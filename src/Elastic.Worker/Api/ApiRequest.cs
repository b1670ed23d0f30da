using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Chat;
using Elastic.Inference.Engine;
using Elastic.Worker.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Elastic.Worker.Api;

/// <summary>One HTTP request's view of the services it needs, its arrival time, and how it answers with JSON or an error.</summary>
internal sealed class ApiRequest
{
    private ApiRequest(HttpContext http)
    {
        Http = http;
        var services = http.RequestServices;
        Backend = services.GetRequiredService<IGenerationBackend>();
        Metrics = services.GetService<ServingMetrics>();
        Time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        Logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OpenAiEndpoints).FullName!);
        ArrivedAt = Time.GetTimestamp();
    }

    public HttpContext Http { get; }

    public IGenerationBackend Backend { get; }

    public ServingMetrics? Metrics { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public long ArrivedAt { get; }

    public CancellationToken Aborted => Http.RequestAborted;

    public long NowUnixSeconds => Time.GetUtcNow().ToUnixTimeSeconds();

    public static ApiRequest From(HttpContext http) => new(http);

    public async Task<ReadOnlyMemory<byte>> ReadBodyAsync()
    {
        using var buffer = new MemoryStream();
        await Http.Request.Body.CopyToAsync(buffer, Aborted).ConfigureAwait(false);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>
    /// Reads and parses the body and checks that it names the served model; on failure the OpenAI error has been
    /// written and null is returned.
    /// </summary>
    public async Task<T?> ReadRequestAsync<T>(RequestParser<T> parse, Func<T, string> model)
        where T : class
    {
        var body = await ReadBodyAsync().ConfigureAwait(false);
        if (!parse(body, out var request, out var error))
        {
            await WriteErrorAsync(error!).ConfigureAwait(false);
            return null;
        }

        if (model(request!) != Backend.ModelName)
        {
            await WriteErrorAsync(OpenAiError.ModelNotFound(model(request!))).ConfigureAwait(false);
            return null;
        }

        return request;
    }

    public async Task WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        Http.Response.StatusCode = StatusCodes.Status200OK;
        Http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(Http.Response.Body, value, typeInfo, Aborted).ConfigureAwait(false);
    }

    public async Task WriteErrorAsync(OpenAiError error)
    {
        Metrics?.RecordRequest(error.StatusCode.ToString(CultureInfo.InvariantCulture));
        if (Http.Response.HasStarted)
        {
            return;
        }

        Http.Response.StatusCode = error.StatusCode;
        Http.Response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } retry)
        {
            Http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        await Http.Response.Body.WriteAsync(OpenAiErrorWriter.ToUtf8Json(error), Aborted).ConfigureAwait(false);
    }

    /// <summary>What a failure of generation tells the client; unexpected faults are logged and answered generically.</summary>
    public OpenAiError ErrorFor(Exception exception)
    {
        switch (exception)
        {
            case EngineOverloadedException:
                ApiLog.Overloaded(Logger, Http.Request.Method, Http.Request.Path.Value);
                return OpenAiError.Overloaded();
            case ChatTemplateException template:
                return OpenAiError.InvalidRequest(template.Message, "messages");
            case ArgumentException argument:
                // The engine's and SamplingParams' own validation: their messages are written for callers.
                var param = argument.ParamName is { } name && name.All(c => char.IsAsciiLetterLower(c) || c == '_') && name != "request" ? name : null;
                return OpenAiError.InvalidRequest(StripParamSuffix(argument), param);
            default:
                ApiLog.RequestFailed(Logger, Http.Request.Method, Http.Request.Path.Value, exception);
                return OpenAiError.Internal();
        }
    }

    public RequestTelemetry StartTelemetry() => new(Metrics, Time, ArrivedAt);

    /// <summary>ArgumentException appends " (Parameter 'x')" to its message; clients see the field in <c>param</c> instead.</summary>
    private static string StripParamSuffix(ArgumentException exception)
    {
        var message = exception.Message;
        var suffix = exception.ParamName is { } name ? $" (Parameter '{name}')" : null;
        return suffix is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}

/// <summary>The shape of <see cref="OpenAiRequestParser"/>'s TryParse methods.</summary>
internal delegate bool RequestParser<T>(ReadOnlyMemory<byte> utf8Json, out T? request, out OpenAiError? error);
