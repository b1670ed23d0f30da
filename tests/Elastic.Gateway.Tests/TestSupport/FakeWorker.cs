using System.Collections.Concurrent;
using System.Text.Json;
using Elastic.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Elastic.Gateway.Tests.TestSupport;

/// <summary>A worker stand-in on real Kestrel: canned OpenAI answers, a paced SSE stream and a settable <c>/load</c>.</summary>
internal sealed class FakeWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private WorkerLoad _load = WorkerLoad.Idle;
    private int _hits;
    private int _streamsAborted;
    private bool _stopped;

    private FakeWorker(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    public WorkerLoad Load
    {
        get => Volatile.Read(ref _load);
        set => Volatile.Write(ref _load, value);
    }

    /// <summary>Completion requests received (chat or text).</summary>
    public int Hits => Volatile.Read(ref _hits);

    public ConcurrentQueue<string> AuthorizationHeadersSeen { get; } = new();

    /// <summary>Streams whose client went away before the worker finished writing them.</summary>
    public int StreamsAborted => Volatile.Read(ref _streamsAborted);

    /// <summary>When set, completion requests are answered by dropping the connection.</summary>
    public bool AbortRequests { get; set; }

    public int StreamChunks { get; set; } = 5;

    public TimeSpan ChunkInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>When set, the last stream chunk is written only once this completes: a client that completes it on the first
    /// chunk proves the earlier ones were not buffered (a buffering proxy would wait forever).</summary>
    public Task? LastChunkGate { get; set; }

    /// <summary>When set, a whole (non-streamed) answer is written only once this completes.</summary>
    public Task? AnswerGate { get; set; }

    public static async Task<FakeWorker> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var worker = new FakeWorker(name, app);
        app.MapGet("/load", () => Results.Json(worker.Load));
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "tiny", @object = "model", owned_by = worker.Name } } }));
        app.MapPost("/v1/completions", worker.CompleteAsync);
        app.MapPost("/v1/chat/completions", worker.CompleteAsync);
        await app.StartAsync();
        worker.Address = new Uri(app.Urls.First());
        return worker;
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    private async Task CompleteAsync(HttpContext context)
    {
        Interlocked.Increment(ref _hits);
        AuthorizationHeadersSeen.Enqueue(context.Request.Headers.Authorization.ToString());
        if (AbortRequests)
        {
            context.Abort();
            return;
        }

        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var stream = body.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        if (!stream)
        {
            if (AnswerGate is { } answerGate)
            {
                await answerGate.WaitAsync(context.RequestAborted);
            }

            await context.Response.WriteAsJsonAsync(new { id = "cmpl-1", @object = "text_completion", model = "tiny", worker = Name, choices = new[] { new { index = 0, text = "hello", finish_reason = "length" } } });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        using var aborted = context.RequestAborted.Register(() => Interlocked.Increment(ref _streamsAborted));
        for (var i = 0; i < StreamChunks; i++)
        {
            if (i > 0)
            {
                // Paces the stream like token generation; not synchronisation.
                await Task.Delay(ChunkInterval, context.RequestAborted);
            }

            if (i == StreamChunks - 1 && LastChunkGate is { } gate)
            {
                await gate.WaitAsync(context.RequestAborted);
            }

            await context.Response.WriteAsync($"data: {{\"choices\":[{{\"index\":0,\"text\":\"t{i}\"}}]}}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }
}
