using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Elastic.Cli.Console;
using Elastic.Inference.Modeling;

namespace Elastic.Cli.Bench;

/// <summary><c>elastic bench engine</c>: engine throughput against the memory-bandwidth roofline.</summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static Command Create()
    {
        var models = new Option<string[]>("--models") { Description = "Benchmark models: small, bench-M (random weights), or checkpoint folders", DefaultValueFactory = _ => ["small", "bench-M"], AllowMultipleArgumentsPerToken = true };
        var batches = new Option<int[]>("--batch") { Description = "Decode batch sizes", DefaultValueFactory = _ => [1, 8, 32], AllowMultipleArgumentsPerToken = true };
        var prompt = new Option<int>("--prompt-tokens") { Description = "Prompt length per sequence", DefaultValueFactory = _ => 128 };
        var prefillBatch = new Option<int>("--prefill-batch") { Description = "Prompts prefilled together in one step (a burst of requests arriving at once)", DefaultValueFactory = _ => 1 };
        var decode = new Option<int>("--decode-tokens") { Description = "Decode steps timed per run", DefaultValueFactory = _ => 32 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per measurement (median reported; decode after one warm-up run, prefill after at least 2 s of warm-up)", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var phases = new Option<bool>("--phases") { Description = "Also time each phase of a decode step (norms, projections, rotary, attention, routing, feed-forward, logits, sampling) and print where a step's time goes" };

        var engine = new Command("engine", "Prefill and batched decode tokens/s of the engine on random weights, with the decode roofline of this machine")
        {
            models, batches, prompt, prefillBatch, decode, repeats, threads, json, phases,
        };
        engine.SetAction(parse =>
        {
            var settings = new EngineBenchmarkSettings(
                parse.GetValue(models)!, parse.GetValue(batches)!, parse.GetValue(prompt), parse.GetValue(prefillBatch), parse.GetValue(decode), parse.GetValue(repeats), parse.GetValue(threads), Seed: 1, parse.GetValue(phases));
            Validate(settings);
            return Run(settings, parse.GetValue(json));
        });

        return new Command("bench", "Benchmarks") { engine, Serve.ServeBenchCommand.Create(), BenchCheckpointCommand.Create(), BenchSamplingCommand.Create() };
    }

    /// <summary>One table per model: µs per decode step of each phase and its share of the step, per batch size.</summary>
    internal static void WritePhases(TextWriter o, string model, IReadOnlyDictionary<int, IReadOnlyDictionary<StepPhase, double>> phases)
    {
        var batches = phases.Keys.Order().ToList();
        o.WriteLine();
        o.WriteLine($"Decode step phases of {model}: mean µs per step over the timed runs (share of the step); work a phase hands to the compute pool counts in it");
        o.WriteLine();
        o.WriteLine($"| phase | {string.Join(" | ", batches.Select(b => $"b={b}"))} |");
        o.WriteLine($"|---|{string.Concat(batches.Select(_ => "---|"))}");
        var totals = batches.ToDictionary(b => b, b => phases[b].Values.Sum());
        foreach (var phase in Enum.GetValues<StepPhase>())
        {
            o.WriteLine($"| {PhaseName(phase)} | {string.Join(" | ", batches.Select(b => $"{phases[b][phase]:F1} ({(totals[b] > 0 ? 100 * phases[b][phase] / totals[b] : 0):F0} %)"))} |");
        }

        o.WriteLine($"| step | {string.Join(" | ", batches.Select(b => $"{totals[b]:F1}"))} |");
    }

    private static string PhaseName(StepPhase phase) => phase switch
    {
        StepPhase.Prepare => "prepare (rows, KV room)",
        StepPhase.Lookups => "embedding + rotary lookups",
        StepPhase.InputNorm => "input norm",
        StepPhase.QkvProjection => "q/k/v projection",
        StepPhase.Rotary => "rotary (+ q/k norm)",
        StepPhase.Attention => "attention",
        StepPhase.OutputProjection => "output projection + residual",
        StepPhase.PostAttentionNorm => "post-attention norm",
        StepPhase.Routing => "routing",
        StepPhase.FeedForward => "feed-forward (experts)",
        StepPhase.Residual => "residual add",
        StepPhase.Logits => "logits (norm, LM head)",
        StepPhase.Sampling => "sampling",
        _ => phase.ToString(),
    };

    private static void Validate(EngineBenchmarkSettings s)
    {
        foreach (var m in s.Models.Where(m => !BenchModels.IsCheckpoint(m)))
        {
            _ = BenchModels.Get(m);
        }

        if (s.Batches.Count == 0 || s.Batches.Any(b => b <= 0))
        {
            throw new ArgumentException("--batch needs positive batch sizes");
        }

        if (s.PromptTokens <= 0 || s.PrefillBatch <= 0 || s.DecodeTokens <= 1 || s.Repeats <= 0 || s.Threads <= 0)
        {
            throw new ArgumentException("--prompt-tokens, --prefill-batch, --repeats and --threads must be positive, --decode-tokens at least 2");
        }
    }

    private static int Run(EngineBenchmarkSettings settings, string? jsonPath)
    {
        TorchRuntime.Configure(settings.Threads);
        var progress = ConsoleProgress.ForStandardError();
        progress.Status($"Measuring memory bandwidth ({settings.Threads} threads)...");
        var bandwidth = EngineBenchmark.MeasureBandwidthGBps(5);
        progress.Status($"Measuring compute ({settings.Threads} threads)...");
        var peak = ComputeProbe.MeasurePeakGFlops(5);
        var kernel = ComputeProbe.MeasureKernelGFlops(5);
        var bench = new EngineBenchmark(settings, progress);
        var results = settings.Models.Select(m => bench.Run(m, bandwidth, peak)).ToList();
        progress.Done();

        var o = System.Console.Out;
        var inv = CultureInfo.InvariantCulture;
        var last = settings.Batches[^1];
        o.WriteLine($"Machine: {Environment.ProcessorCount} cores, libtorch threads {settings.Threads}, memory bandwidth {bandwidth:F1} GB/s (median of 5 sums over 1 GiB), FMA peak {peak:F0} GFLOP/s (median of 5 runs of independent multiply-add chains on every thread), engine kernel {kernel:F0} GFLOP/s ({100 * kernel / peak:F0} % of peak: its FMA tiles on cached weights)");
        o.WriteLine($"Ceiling: the most decode tokens/s batch {last} can reach here, the lower of compute (2 FLOP per active parameter per token at the FMA peak) and memory (the step's weights at that bandwidth); ideal gain: that ceiling over the batch-1 roofline, what batching buys a perfect engine");
        o.WriteLine($"Prompt {settings.PromptTokens} tokens, prefilled {settings.PrefillBatch} at a time; decode {settings.DecodeTokens} steps; median of {settings.Repeats} runs after warm-up (decode one run, prefill at least 2 s)");
        o.WriteLine();
        o.WriteLine($"| model | params | active MB/token | roofline tok/s | prefill tok/s | {string.Join(" | ", settings.Batches.Select(b => $"decode b={b} tok/s"))} | b1 % of roofline | b{last} / b1 | b{last} ceiling tok/s | ceiling / b1 | ideal gain b{last} / b1 |");
        o.WriteLine($"|---|---|---|---|---|{string.Concat(settings.Batches.Select(_ => "---|"))}---|---|---|---|---|");
        foreach (var r in results)
        {
            var b1 = r.DecodeTokensPerSecond.GetValueOrDefault(settings.Batches[0]);
            var ceiling = r.CeilingTokensPerSecond[last];
            o.WriteLine(
                $"| {r.Model} | {r.Parameters / 1e6:F0} M | {r.ActiveBytesPerToken / 1e6:F1} | {r.RooflineTokensPerSecond:F1} | {r.PrefillTokensPerSecond:F0} | {string.Join(" | ", settings.Batches.Select(b => r.DecodeTokensPerSecond[b].ToString("F1", inv)))} | {100 * b1 / r.RooflineTokensPerSecond:F0}% | {r.DecodeTokensPerSecond[last] / b1:F1}x | {ceiling:F0} | {ceiling / b1:F1}x | {r.IdealBatchGain[last]:F1}x |");
        }

        foreach (var r in results.Where(r => r.DecodePhaseMicroseconds is { Count: > 0 }))
        {
            WritePhases(o, r.Model, r.DecodePhaseMicroseconds!);
        }

        if (jsonPath is not null)
        {
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new { bandwidthGBps = bandwidth, computeGFlops = peak, kernelGFlops = kernel, settings, results }, JsonOptions));
        }

        return 0;
    }
}
