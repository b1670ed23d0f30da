using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Elastic.Cli.Console;

namespace Elastic.Cli.Bench.Serve;

/// <summary>
/// Sends streaming <c>/v1/completions</c> requests on the arrival schedule (at most MaxConcurrency in flight) and
/// times each at the client: first token, every gap between tokens, end to end.
/// </summary>
internal sealed class ServeBenchRunner(HttpClient client, ServeBenchSettings settings, IProgressReporter progress, TimeProvider timeProvider)
{
    /// <summary>The prompts and schedule of a run; both from the seed, so two runs send the same load.</summary>
    public (IReadOnlyList<BenchPrompt> Prompts, TimeSpan[] Offsets) Plan()
    {
        var random = new Random(settings.Seed);
        var generator = new PromptGenerator(settings.PromptMode, settings.InputLength, settings.OutputLength, settings.RangeRatio, settings.VocabularySize, random);
        var prompts = Enumerable.Range(0, settings.NumPrompts).Select(_ => generator.Next()).ToArray();
        var offsets = ArrivalSchedule.Offsets(settings.NumPrompts, settings.RequestRate, settings.Burstiness, new Random(unchecked(settings.Seed + 1)));
        return (prompts, offsets);
    }

    /// <summary>Runs one short request first so a wrong URL, model or key fails at once rather than N times.</summary>
    public async Task<RequestOutcome> ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = new PromptGenerator(settings.PromptMode, Math.Min(settings.InputLength, 16), 2, 0, settings.VocabularySize, new Random(settings.Seed)).Next();
        return await SendAsync(probe, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <see cref="ServeBenchSettings.NumWarmups"/> requests (own prompts, same lengths, same concurrency cap, no
    /// schedule) and discards their timings: a fresh client process otherwise spends the measured run compiling its
    /// own hot paths (measured: the JIT's tiering thread took ~11 % of this 2-core machine during a 32-stream run).
    /// </summary>
    /// <returns>How many warm-up requests failed.</returns>
    public async Task<int> WarmUpAsync(CancellationToken cancellationToken)
    {
        if (settings.NumWarmups == 0)
        {
            return 0;
        }

        var generator = new PromptGenerator(settings.PromptMode, settings.InputLength, settings.OutputLength, settings.RangeRatio, settings.VocabularySize, new Random(unchecked(settings.Seed + 2)));
        var prompts = Enumerable.Range(0, settings.NumWarmups).Select(_ => generator.Next()).ToArray();
        var outcomes = await SendAllAsync(prompts, new TimeSpan[prompts.Length], "Warm-up requests completed", timeProvider.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        return outcomes.Count(o => !o.Success);
    }

    public async Task<(IReadOnlyList<RequestOutcome> Outcomes, TimeSpan Duration)> RunAsync(CancellationToken cancellationToken)
    {
        var (prompts, offsets) = Plan();
        var started = timeProvider.GetTimestamp();
        var outcomes = await SendAllAsync(prompts, offsets, "Requests completed", started, cancellationToken).ConfigureAwait(false);
        return (outcomes, timeProvider.GetElapsedTime(started));
    }

    /// <summary>Sends prompts[i] at offsets[i] after <paramref name="started"/>, at most MaxConcurrency in flight.</summary>
    private async Task<RequestOutcome[]> SendAllAsync(IReadOnlyList<BenchPrompt> prompts, TimeSpan[] offsets, string label, long started, CancellationToken cancellationToken)
    {
        var outcomes = new RequestOutcome[prompts.Count];
        using var gate = new SemaphoreSlim(settings.MaxConcurrency ?? int.MaxValue);
        var done = 0;
        var tasks = new List<Task>(prompts.Count);
        progress.Report(label, 0);
        for (var i = 0; i < prompts.Count; i++)
        {
            var wait = offsets[i] - timeProvider.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            // Like vLLM, the schedule decides when a request is ready; the concurrency cap may hold it back further.
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    outcomes[index] = await SendAsync(prompts[index], cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                    var n = Interlocked.Increment(ref done);
                    progress.Report(label, (double)n / prompts.Count);
                }
            }, cancellationToken));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        progress.Done();
        return outcomes;
    }

    internal async Task<RequestOutcome> SendAsync(BenchPrompt prompt, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.BaseUrl, "v1/completions"))
        {
            Content = new StringContent(RequestBody(prompt), Encoding.UTF8, "application/json"),
        };
        if (settings.ApiKey is { Length: > 0 } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        var sent = timeProvider.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                return RequestOutcome.Failed(prompt.PromptTokens, $"HTTP {(int)response.StatusCode}: {Truncate(body)}");
            }

            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await ReadStreamAsync(stream, prompt, sent, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return RequestOutcome.Failed(prompt.PromptTokens, ex is OperationCanceledException ? $"timed out after {settings.RequestTimeout.TotalSeconds:F0} s" : ex.Message);
        }
    }

    /// <summary>
    /// Times the chunks of one stream: chunks carrying text are tokens and E2E ends at the last of them. A stream whose
    /// tokens all decoded to no text (a special token such as EOS under ignore_eos, as vLLM's client notes) is timed by
    /// its choice chunks instead, so a valid answer is never counted as a failure.
    /// </summary>
    internal async Task<RequestOutcome> ReadStreamAsync(Stream stream, BenchPrompt prompt, long sentTimestamp, CancellationToken cancellationToken)
    {
        double? ttft = null, firstChoice = null;
        var last = 0.0;
        var lastChoice = 0.0;
        var itl = new List<double>();
        var textChunks = 0;
        int? usageCompletion = null, usagePrompt = null;
        await foreach (var data in SseReader.ReadDataAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            var now = timeProvider.GetElapsedTime(sentTimestamp).TotalMilliseconds;
            var chunk = CompletionChunk.Parse(data);
            if (chunk.Error is not null)
            {
                return RequestOutcome.Failed(prompt.PromptTokens, $"stream error: {chunk.Error}");
            }

            usageCompletion = chunk.CompletionTokens ?? usageCompletion;
            usagePrompt = chunk.PromptTokens ?? usagePrompt;
            if (chunk.HasChoice)
            {
                firstChoice ??= now;
                lastChoice = now;
            }

            if (chunk.Text.Length == 0)
            {
                continue;
            }

            textChunks++;
            if (ttft is null)
            {
                ttft = now;
            }
            else
            {
                itl.Add(now - last);
            }

            last = now;
        }

        if (ttft is null)
        {
            return firstChoice is { } first && usageCompletion is not 0
                ? new RequestOutcome(true, usagePrompt ?? prompt.PromptTokens, usageCompletion ?? 1, first, lastChoice, [])
                : RequestOutcome.Failed(prompt.PromptTokens, "the stream ended without a token");
        }

        // usage counts tokens exactly; a chunk may carry several tokens (or, mid-character, none printable).
        return new RequestOutcome(true, usagePrompt ?? prompt.PromptTokens, usageCompletion ?? textChunks, ttft.Value, last, itl);
    }

    internal string RequestBody(BenchPrompt prompt)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", settings.Model);
            if (prompt.TokenIds is { } ids)
            {
                json.WriteStartArray("prompt");
                foreach (var id in ids)
                {
                    json.WriteNumberValue(id);
                }

                json.WriteEndArray();
            }
            else
            {
                json.WriteString("prompt", prompt.Text);
            }

            json.WriteNumber("max_tokens", prompt.OutputTokens);
            if (settings.IgnoreEos)
            {
                // min_tokens is understood by Elastic and vLLM, ignore_eos by vLLM: either pins the output length.
                json.WriteNumber("min_tokens", prompt.OutputTokens);
                json.WriteBoolean("ignore_eos", true);
            }

            json.WriteNumber("temperature", 0);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "...";
}
