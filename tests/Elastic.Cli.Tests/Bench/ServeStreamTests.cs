using System.Net;
using System.Text;
using System.Text.Json;
using Elastic.Cli.Bench.Serve;
using Elastic.Cli.Console;
using Microsoft.Extensions.Time.Testing;

namespace Elastic.Cli.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class ServeStreamTests
{
    [Fact]
    public async Task SseReader_YieldsEachEventsData_SkippingCommentsAndStoppingAtDone()
    {
        const string stream = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: message\ndata: line one\ndata: line two\n\ndata:{\"b\":2}\n\ndata: [DONE]\n\ndata: after-done\n\n";

        var events = await ReadAllAsync(stream);

        Assert.Equal(["{\"a\":1}", "line one\nline two", "{\"b\":2}"], events);
    }

    [Fact]
    public async Task SseReader_StreamCutWithoutBlankLine_StillYieldsLastEvent()
    {
        Assert.Equal(["x"], await ReadAllAsync("data: x"));
    }

    [Theory]
    [InlineData("""{"choices":[{"index":0,"text":"Hel"}]}""", "Hel", null)]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"lo"}}]}""", "lo", null)]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}""", "", 9)]
    public void CompletionChunk_ReadsTextAndUsage(string json, string text, int? completionTokens)
    {
        var chunk = CompletionChunk.Parse(json);

        Assert.Equal(text, chunk.Text);
        Assert.Equal(completionTokens, chunk.CompletionTokens);
        Assert.Null(chunk.Error);
    }

    [Fact]
    public void CompletionChunk_InStreamError_IsReported() =>
        Assert.Equal("worker lost", CompletionChunk.Parse("""{"error":{"message":"worker lost","type":"server_error"}}""").Error);

    [Fact]
    public async Task ReadStream_OnlyTokenDecodesToNoText_IsASuccessTimedByItsChunk()
    {
        var clock = new FakeTimeProvider();
        var runner = new ServeBenchRunner(new HttpClient(), Settings(), Quiet(), clock);
        // One generated token that is a special token (EOS under ignore_eos): its chunk carries a choice but no text.
        var stream = new TimedStream(clock,
        [
            (25, "data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"length\"}]}\n\n"),
            (26, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n"),
        ]);

        var outcome = await runner.ReadStreamAsync(stream, new BenchPrompt("x", null, 8, 1), sentTimestamp: clock.GetTimestamp(), CancellationToken.None);

        Assert.True(outcome.Success, outcome.Error);
        Assert.Equal(25, outcome.TtftMs, precision: 6);
        Assert.Equal(25, outcome.E2eMs, precision: 6);
        Assert.Equal(1, outcome.OutputTokens);
    }

    [Fact]
    public async Task ReadStream_NoChoiceAtAll_IsAFailure()
    {
        var clock = new FakeTimeProvider();
        var runner = new ServeBenchRunner(new HttpClient(), Settings(), Quiet(), clock);
        var stream = new TimedStream(clock, [(5, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":0}}\n\ndata: [DONE]\n\n")]);

        var outcome = await runner.ReadStreamAsync(stream, new BenchPrompt("x", null, 8, 1), sentTimestamp: clock.GetTimestamp(), CancellationToken.None);

        Assert.False(outcome.Success);
        Assert.Equal("the stream ended without a token", outcome.Error);
    }

    [Fact]
    public async Task ReadStream_TimesFirstTokenEveryGapAndEnd_FromTheClientClock()
    {
        var clock = new FakeTimeProvider();
        var runner = new ServeBenchRunner(new HttpClient(), Settings(), Quiet(), clock);
        // Each segment becomes readable at the given millisecond; the empty first chunk (role only) is not a token.
        var stream = new TimedStream(clock,
        [
            (40, "data: {\"choices\":[{\"text\":\"\"}]}\n\n"),
            (100, "data: {\"choices\":[{\"text\":\"a\"}]}\n\n"),
            (130, "data: {\"choices\":[{\"text\":\"b\"}]}\n\n"),
            (180, "data: {\"choices\":[{\"text\":\"c\"}]}\n\n"),
            (190, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n"),
        ]);

        var outcome = await runner.ReadStreamAsync(stream, new BenchPrompt("x", null, 4, 3), sentTimestamp: clock.GetTimestamp(), CancellationToken.None);

        Assert.True(outcome.Success);
        Assert.Equal(100, outcome.TtftMs, precision: 6);
        Assert.Equal([30.0, 50.0], outcome.ItlMs.Select(v => Math.Round(v, 6)));
        Assert.Equal(180, outcome.E2eMs, precision: 6);
        Assert.Equal(3, outcome.OutputTokens);
        Assert.Equal(7, outcome.PromptTokens);
        Assert.Equal(40, outcome.TpotMs, precision: 6);
    }

    [Fact]
    public async Task Run_SendsFixedLengthStreamingRequests_WithinConcurrencyCap()
    {
        var handler = new CannedSseHandler();
        var settings = Settings() with { NumPrompts = 6, MaxConcurrency = 2, PromptMode = PromptMode.Ids, InputLength = 5, OutputLength = 3 };
        var runner = new ServeBenchRunner(new HttpClient(handler), settings, Quiet(), TimeProvider.System);

        var (outcomes, _) = await runner.RunAsync(CancellationToken.None);
        var report = BenchmarkReport.Compute(outcomes, TimeSpan.FromSeconds(1), GoodputSlo.None);

        Assert.Equal(6, report.Completed);
        Assert.Equal(18, report.TotalOutputTokens);
        Assert.InRange(handler.MaxInFlight, 1, 2);
        using var body = JsonDocument.Parse(handler.Bodies.First());
        var root = body.RootElement;
        Assert.Equal("tiny", root.GetProperty("model").GetString());
        Assert.Equal(5, root.GetProperty("prompt").GetArrayLength());
        Assert.Equal(3, root.GetProperty("max_tokens").GetInt32());
        Assert.Equal(3, root.GetProperty("min_tokens").GetInt32());
        Assert.True(root.GetProperty("ignore_eos").GetBoolean());
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.Equal("/v1/completions", handler.Paths.First());
    }

    [Fact]
    public async Task WarmUp_SendsItsOwnPromptsFirst_AndTheRunStillSendsTheSeededOnes()
    {
        var handler = new CannedSseHandler();
        var settings = Settings() with { NumPrompts = 3, NumWarmups = 4, MaxConcurrency = 2, PromptMode = PromptMode.Ids, InputLength = 5 };
        var runner = new ServeBenchRunner(new HttpClient(handler), settings, Quiet(), TimeProvider.System);

        var failed = await runner.WarmUpAsync(CancellationToken.None);
        var warmupBodies = handler.Bodies.ToList();
        var (outcomes, _) = await runner.RunAsync(CancellationToken.None);

        Assert.Equal(0, failed);
        Assert.Equal(4, warmupBodies.Count);
        Assert.InRange(handler.MaxInFlight, 1, 2);
        Assert.Equal(3, outcomes.Count);
        Assert.All(outcomes, o => Assert.True(o.Success));
        var measuredBodies = handler.Bodies.Skip(4).ToList();
        var planned = runner.Plan().Prompts.Select(p => runner.RequestBody(p)).ToList();
        Assert.Equal(planned.Order(StringComparer.Ordinal), measuredBodies.Order(StringComparer.Ordinal));
        Assert.Empty(warmupBodies.Intersect(planned));
    }

    [Fact]
    public void Settings_NegativeWarmups_AreRejectedByName()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Settings() with { NumWarmups = -1 }).Validate());

        Assert.Contains("--num-warmups", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ServerErrors_CountAsFailedRequests()
    {
        var handler = new CannedSseHandler { Status = HttpStatusCode.ServiceUnavailable };
        var runner = new ServeBenchRunner(new HttpClient(handler), Settings() with { NumPrompts = 3 }, Quiet(), TimeProvider.System);

        var (outcomes, _) = await runner.RunAsync(CancellationToken.None);

        Assert.All(outcomes, o => Assert.False(o.Success));
        Assert.All(outcomes, o => Assert.StartsWith("HTTP 503", o.Error, StringComparison.Ordinal));
    }

    [Fact]
    public void Command_ParsesVllmStyleOptions()
    {
        var parse = ServeBenchCommand.Create().Parse("--num-prompts 10 --request-rate 2.5 --burstiness 0.5 --max-concurrency 4 --goodput ttft:500 tpot:50 --prompt-mode ids --num-warmups 8 --json out.json");

        Assert.Empty(parse.Errors);
        Assert.Equal(2.5, ServeBenchCommand.ParseRate("2.5"));
        Assert.True(double.IsPositiveInfinity(ServeBenchCommand.ParseRate("inf")));
        Assert.Throws<ArgumentException>(() => ServeBenchCommand.ParseRate("-1"));
    }

    private static ServeBenchSettings Settings() => new(
        new Uri("http://bench.test/"), "tiny", 1, 8, 3, 0, double.PositiveInfinity, 1, null, 0, PromptMode.Words, 100, true, null, GoodputSlo.None, TimeSpan.FromSeconds(30));

    private static ConsoleProgress Quiet() => new(TextWriter.Null, interactive: false);

    private static async Task<List<string>> ReadAllAsync(string text)
    {
        var events = new List<string>();
        await foreach (var data in SseReader.ReadDataAsync(new MemoryStream(Encoding.UTF8.GetBytes(text))))
        {
            events.Add(data);
        }

        return events;
    }

    /// <summary>Hands out one segment per read, moving the clock to that segment's arrival time (ms after the stream was made) first.</summary>
    private sealed class TimedStream(FakeTimeProvider clock, (int AtMs, string Text)[] segments) : Stream
    {
        private readonly DateTimeOffset _start = clock.GetUtcNow();
        private int _next;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_next == segments.Length)
            {
                return 0;
            }

            var (at, text) = segments[_next++];
            clock.SetUtcNow(_start + TimeSpan.FromMilliseconds(at));
            var bytes = Encoding.UTF8.GetBytes(text);
            Assert.True(bytes.Length <= count);
            bytes.CopyTo(buffer, offset);
            return bytes.Length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Answers every completion with a three-token stream and records what it was sent.</summary>
    private sealed class CannedSseHandler : HttpMessageHandler
    {
        private int _inFlight;
        private int _maxInFlight;

        public HttpStatusCode Status { get; init; } = HttpStatusCode.OK;

        public System.Collections.Concurrent.ConcurrentQueue<string> Bodies { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> Paths { get; } = new();

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            try
            {
                Paths.Enqueue(request.RequestUri!.AbsolutePath);
                Bodies.Enqueue(await request.Content!.ReadAsStringAsync(cancellationToken));
                await Task.Yield();
                if (Status != HttpStatusCode.OK)
                {
                    return new HttpResponseMessage(Status) { Content = new StringContent("""{"error":{"message":"no worker"}}""") };
                }

                const string sse = "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: {\"choices\":[{\"text\":\"b\"}]}\n\ndata: {\"choices\":[{\"text\":\"c\"}]}\n\n"
                    + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n";
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(sse, Encoding.UTF8, "text/event-stream") };
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
