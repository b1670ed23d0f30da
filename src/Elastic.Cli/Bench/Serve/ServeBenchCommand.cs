using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Elastic.Cli.Console;

namespace Elastic.Cli.Bench.Serve;

/// <summary><c>elastic bench serve</c>: load an OpenAI-compatible server and report TTFT, TPOT, ITL, E2E, throughput and goodput.</summary>
internal static class ServeBenchCommand
{
    // Above this share of the machine's cores, the client's own CPU use is worth a warning (measured here: 0.27-0.38 of
    // 2 cores at 32 streams with inline socket completions, 0.37-0.57 without; more while its JIT is not warmed up).
    private const double ClientCpuWarningShare = 0.2;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var baseUrl = new Option<string>("--base-url") { Description = "Server to load (the gateway or a worker)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var model = new Option<string>("--model") { Description = "The model name sent in each request", DefaultValueFactory = _ => "elastic-moe-tiny" };
        var numPrompts = new Option<int>("--num-prompts") { Description = "Requests to send", DefaultValueFactory = _ => 100 };
        var inputLen = new Option<int>("--input-len") { Description = "Prompt length in tokens (about one word per token in words mode)", DefaultValueFactory = _ => 128 };
        var outputLen = new Option<int>("--output-len") { Description = "Output tokens per request (max_tokens; fixed unless --ignore-eos false)", DefaultValueFactory = _ => 64 };
        var rangeRatio = new Option<double>("--range-ratio") { Description = "Vary prompt and output lengths uniformly within ±ratio of the target", DefaultValueFactory = _ => 0 };
        var rate = new Option<string>("--request-rate") { Description = "Requests per second (gamma-distributed gaps), or inf to send all at once", DefaultValueFactory = _ => "inf" };
        var burstiness = new Option<double>("--burstiness") { Description = "Gamma shape of the gaps: 1 = Poisson, <1 burstier, >1 more even", DefaultValueFactory = _ => 1.0 };
        var maxConcurrency = new Option<int?>("--max-concurrency") { Description = "At most this many requests in flight (default: no cap)" };
        var seed = new Option<int>("--seed") { Description = "Seed of prompts and arrival times", DefaultValueFactory = _ => 0 };
        var promptMode = new Option<PromptMode>("--prompt-mode") { Description = "words: random common words; ids: random token ids sent as prompt: [ids] (exact length)", DefaultValueFactory = _ => PromptMode.Words };
        var vocab = new Option<int>("--vocab-size") { Description = "Token ids are drawn from [0, vocab-size) in ids mode", DefaultValueFactory = _ => 2048 };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Pin the output length (min_tokens = max_tokens, ignore_eos: true)", DefaultValueFactory = _ => true };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer API key (default: $OPENAI_API_KEY)" };
        var goodput = new Option<string[]>("--goodput") { Description = "SLOs in ms for goodput, e.g. ttft:500 tpot:50 e2e:5000", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [] };
        var timeout = new Option<double>("--timeout") { Description = "Seconds before one request counts as failed", DefaultValueFactory = _ => 600 };
        var warmups = new Option<int>("--num-warmups") { Description = "Untimed requests sent first, at the same concurrency, so the measured run sees a warm client, server and connection pool", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };

        var serve = new Command("serve", "Load an OpenAI-compatible server with streaming completions (in the manner of vLLM's benchmark_serving)")
        {
            baseUrl, model, numPrompts, inputLen, outputLen, rangeRatio, rate, burstiness, maxConcurrency, seed, promptMode, vocab, ignoreEos, apiKey, goodput, timeout, warmups, json,
        };
        serve.SetAction((parse, cancellationToken) =>
        {
            if (!Uri.TryCreate(parse.GetValue(baseUrl), UriKind.Absolute, out var url))
            {
                throw new ArgumentException($"--base-url '{parse.GetValue(baseUrl)}' is not an absolute URL");
            }

            var settings = new ServeBenchSettings(
                new Uri(url.ToString().TrimEnd('/') + "/"),
                parse.GetValue(model)!,
                parse.GetValue(numPrompts),
                parse.GetValue(inputLen),
                parse.GetValue(outputLen),
                parse.GetValue(rangeRatio),
                ParseRate(parse.GetValue(rate)!),
                parse.GetValue(burstiness),
                parse.GetValue(maxConcurrency),
                parse.GetValue(seed),
                parse.GetValue(promptMode),
                parse.GetValue(vocab),
                parse.GetValue(ignoreEos),
                parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
                GoodputSlo.Parse(parse.GetValue(goodput)!),
                TimeSpan.FromSeconds(parse.GetValue(timeout)),
                parse.GetValue(warmups));
            settings.Validate();
            return RunAsync(settings, parse.GetValue(json), cancellationToken);
        });
        return serve;
    }

    internal static double ParseRate(string value) =>
        value.Equals("inf", StringComparison.OrdinalIgnoreCase) ? double.PositiveInfinity
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 ? r
        : throw new ArgumentException($"--request-rate '{value}' is not a positive number or inf");

    private static async Task<int> RunAsync(ServeBenchSettings settings, string? jsonPath, CancellationToken cancellationToken)
    {
        var inlineReads = ClientSockets.PreferInlineCompletions();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var progress = ConsoleProgress.ForStandardError();
        var runner = new ServeBenchRunner(client, settings, progress, TimeProvider.System);

        progress.Status($"Checking {settings.BaseUrl} with one short request...");
        var probe = await runner.ProbeAsync(cancellationToken).ConfigureAwait(false);
        if (!probe.Success)
        {
            System.Console.Error.WriteLine($"error: the test request failed: {probe.Error}");
            return 1;
        }

        if (settings.NumWarmups > 0)
        {
            progress.Status($"Warming up with {settings.NumWarmups} requests (not timed)...");
            var warmupFailures = await runner.WarmUpAsync(cancellationToken).ConfigureAwait(false);
            if (warmupFailures > 0)
            {
                System.Console.Error.WriteLine($"warning: {warmupFailures} of {settings.NumWarmups} warm-up requests failed");
            }
        }

        var rateText = double.IsPositiveInfinity(settings.RequestRate) ? "inf" : settings.RequestRate.ToString("G4", CultureInfo.InvariantCulture);
        progress.Status($"Sending {settings.NumPrompts} requests: rate {rateText}/s, burstiness {settings.Burstiness}, max concurrency {settings.MaxConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var (outcomes, duration) = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        self.Refresh();
        var report = BenchmarkReport.Compute(outcomes, duration, settings.Goodput) with
        {
            ClientCpuCores = (self.TotalProcessorTime - cpuBefore).TotalSeconds / Math.Max(duration.TotalSeconds, 1e-9),
        };

        System.Console.Out.Write(FormatTable(report, settings));
        if (report.ClientCpuCores > ClientCpuWarningShare * Environment.ProcessorCount)
        {
            System.Console.Error.WriteLine(
                $"warning: this load generator used {report.ClientCpuCores:F2} of the machine's {Environment.ProcessorCount} cores; a server on the same machine lost that CPU (run the client elsewhere for the server's own figures)");
        }

        foreach (var error in outcomes.Where(o => !o.Success).Select(o => o.Error).Distinct().Take(5))
        {
            System.Console.Error.WriteLine($"failed request: {error}");
        }

        if (jsonPath is not null)
        {
            var document = new
            {
                settings = new
                {
                    baseUrl = settings.BaseUrl.ToString(), settings.Model, settings.NumPrompts, inputLen = settings.InputLength, outputLen = settings.OutputLength,
                    settings.RangeRatio, requestRate = rateText, settings.Burstiness, settings.MaxConcurrency, settings.Seed, settings.NumWarmups,
                    promptMode = settings.PromptMode == PromptMode.Ids ? "ids" : "words", settings.IgnoreEos, goodput = settings.Goodput.ToString(),
                    clientSocketCompletions = inlineReads ? "inline" : "thread pool",
                },
                results = report,
                requests = outcomes.Select(o => new { o.Success, o.PromptTokens, o.OutputTokens, ttftMs = o.TtftMs, tpotMs = o.TpotMs, e2eMs = o.E2eMs, itlMs = o.ItlMs, o.Error }),
            };
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(document, JsonOptions), cancellationToken).ConfigureAwait(false);
        }

        return report.Failed == 0 ? 0 : 1;
    }

    /// <summary>The human summary, laid out as vLLM prints it.</summary>
    internal static string FormatTable(BenchmarkReport r, ServeBenchSettings settings)
    {
        var inv = CultureInfo.InvariantCulture;
        var o = new StringWriter(inv);
        void Row(string name, string value) => o.WriteLine($"{name,-40}{value,12}");
        void Num(string name, double value) => Row(name, value.ToString("F2", inv));

        o.WriteLine("{0}", new string('=', 18) + " Serving Benchmark Result " + new string('=', 8));
        Row("Successful requests:", r.Completed.ToString(inv));
        Row("Failed requests:", r.Failed.ToString(inv));
        Num("Benchmark duration (s):", r.DurationSeconds);
        Row("Total input tokens:", r.TotalInputTokens.ToString(inv));
        Row("Total generated tokens:", r.TotalOutputTokens.ToString(inv));
        Num("Request throughput (req/s):", r.RequestThroughput);
        if (r.Goodput is { } goodput)
        {
            Num($"Request goodput (req/s) [{settings.Goodput}]:", goodput);
            Row("Requests meeting every SLO:", r.GoodRequests.ToString(inv));
        }

        Num("Output token throughput (tok/s):", r.OutputTokenThroughput);
        Num("Total token throughput (tok/s):", r.TotalTokenThroughput);
        if (r.ClientCpuCores is { } cores)
        {
            Num("Client CPU used (cores):", cores);
        }

        Section("Time to First Token", "TTFT", r.TtftMs);
        Section("Time per Output Token (excl. 1st token)", "TPOT", r.TpotMs);
        Section("Inter-token Latency", "ITL", r.ItlMs);
        Section("End-to-end Latency", "E2EL", r.E2eMs);
        o.WriteLine(new string('=', 52));
        return o.ToString();

        void Section(string title, string abbreviation, LatencySummary s)
        {
            var pad = Math.Max(0, 50 - title.Length);
            o.WriteLine($"{new string('-', pad / 2)} {title} {new string('-', pad - (pad / 2))}");
            Num($"Mean {abbreviation} (ms):", s.Mean);
            Num($"Median {abbreviation} (ms):", s.Median);
            Num($"P90 {abbreviation} (ms):", s.P90);
            Num($"P99 {abbreviation} (ms):", s.P99);
        }
    }
}
