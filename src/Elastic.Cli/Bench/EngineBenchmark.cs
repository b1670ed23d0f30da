using System.Diagnostics;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Engine;
using Elastic.Inference.Modeling;
using Elastic.Inference.Sampling;
using Elastic.Cli.Console;
using TorchSharp;

namespace Elastic.Cli.Bench;

/// <summary>Settings of one engine benchmark run.</summary>
internal sealed record EngineBenchmarkSettings(IReadOnlyList<string> Models, IReadOnlyList<int> Batches, int PromptTokens, int PrefillBatch, int DecodeTokens, int Repeats, int Threads, int Seed, bool Phases = false);

/// <summary>What one benchmark model measured.</summary>
internal sealed record EngineBenchmarkResult(
    string Model,
    long Parameters,
    long ActiveBytesPerToken,
    double PrefillTokensPerSecond,
    IReadOnlyDictionary<int, double> DecodeTokensPerSecond,
    double RooflineTokensPerSecond,
    IReadOnlyDictionary<int, double> CeilingTokensPerSecond,
    IReadOnlyDictionary<int, double> IdealBatchGain,
    IReadOnlyDictionary<int, IReadOnlyDictionary<StepPhase, double>>? DecodePhaseMicroseconds = null);

/// <summary>
/// Measures the engine directly (no server): prefill and batched decode throughput on random weights,
/// against the decode roofline implied by this machine's measured memory bandwidth.
/// </summary>
internal sealed class EngineBenchmark(EngineBenchmarkSettings settings, IProgressReporter progress)
{
    public static double MeasureBandwidthGBps(int repeats)
    {
        // 1 GiB streamed by a sum: the same access pattern as a GEMV over weights.
        using var scope = torch.NewDisposeScope();
        var data = torch.ones(256L << 20);
        data.sum().item<float>();
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            data.sum().item<float>();
            times.Add(clock.Elapsed.TotalSeconds);
        }

        return data.numel() * sizeof(float) / Median(times) / 1e9;
    }

    /// <summary>Runs a benchmark shape on random weights, or a checkpoint folder as it is.</summary>
    public EngineBenchmarkResult Run(string name, double bandwidthGBps, double computeGFlops)
    {
        if (BenchModels.IsCheckpoint(name))
        {
            progress.Status($"{name}: loading the checkpoint");
            using var loaded = MoeModel.Load(name);
            return Measure(name, loaded, bandwidthGBps, computeGFlops);
        }

        var shape = BenchModels.Get(name);
        progress.Status($"{name}: building random weights ({BenchModels.TotalParameters(shape) / 1e6:F0} M parameters)");
        using var weights = new RandomWeights(shape, settings.Seed);
        using var model = MoeModel.Create(weights, name);
        return Measure(name, model, bandwidthGBps, computeGFlops);
    }

    private EngineBenchmarkResult Measure(string name, MoeModel model, double bandwidthGBps, double computeGFlops)
    {
        var config = model.Config;
        if (settings.PromptTokens + settings.DecodeTokens + 1 > config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"{name}: --prompt-tokens {settings.PromptTokens} + --decode-tokens {settings.DecodeTokens} exceed the model's context of {config.MaxPositionEmbeddings} tokens");
        }

        var prefill = MeasurePrefill(model);
        var decode = new Dictionary<int, double>();
        var phases = new Dictionary<int, IReadOnlyDictionary<StepPhase, double>>();
        foreach (var batch in settings.Batches)
        {
            (decode[batch], var perStep) = MeasureDecode(model, batch);
            if (perStep is not null)
            {
                phases[batch] = perStep;
            }
        }

        var active = BenchModels.ActiveBytesPerToken(config);
        var ceilings = settings.Batches.ToDictionary(b => b, b => BenchModels.CeilingTokensPerSecond(config, b, bandwidthGBps, computeGFlops));
        var gains = settings.Batches.ToDictionary(b => b, b => BenchModels.IdealBatchGain(config, b, bandwidthGBps, computeGFlops));
        return new EngineBenchmarkResult(name, BenchModels.TotalParameters(config), active, prefill, decode, BenchModels.RooflineTokensPerSecond(config, bandwidthGBps), ceilings, gains, settings.Phases ? phases : null);
    }

    /// <summary>
    /// Untimed prefill runs come first, at least this long: a prefill is one or two steps, so a handful of runs still
    /// executes tier-0 code (measured on the default model: 11-14 k tok/s after 8 runs, 33 k once the JIT is done).
    /// </summary>
    private static readonly TimeSpan PrefillWarmup = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Prefill tokens/s of one long-lived engine, as a server runs it: a fresh engine's first steps also pay for
    /// first-use allocations (measured: about twice the steady step time for 32 short prompts of the default model).
    /// </summary>
    private double MeasurePrefill(MoeModel model)
    {
        using var engine = NewEngine(model, settings.PrefillBatch);
        progress.Status($"{model.Directory}: prefill {settings.PrefillBatch} × {settings.PromptTokens} tokens, warming up");
        var warmup = Stopwatch.StartNew();
        for (var w = 0; w < 2 || warmup.Elapsed < PrefillWarmup; w++)
        {
            Prefill(engine, model.Config, run: -1 - w);
        }

        var rates = new List<double>();
        for (var r = 0; r < settings.Repeats; r++)
        {
            progress.Status($"{model.Directory}: prefill {settings.PrefillBatch} × {settings.PromptTokens} tokens, run {r + 1}/{settings.Repeats}");
            rates.Add((double)settings.PrefillBatch * settings.PromptTokens / Prefill(engine, model.Config, run: r).TotalSeconds);
        }

        return Median(rates);
    }

    /// <summary>Submits one prefill batch (max_tokens 1) and steps the engine until it is done; returns how long that took.</summary>
    private TimeSpan Prefill(InferenceEngine engine, ModelConfig config, int run)
    {
        for (var b = 0; b < settings.PrefillBatch; b++)
        {
            engine.Submit(Request(config, b, run, maxTokens: 1));
        }

        var clock = Stopwatch.StartNew();
        while (engine.HasWork)
        {
            engine.Step();
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// Median decode tokens/s of the timed runs and, with <see cref="EngineBenchmarkSettings.Phases"/>, the mean time of
    /// each step phase over their decode steps in µs (the recorder's marks cost ~1 µs a step, so the rates of a
    /// --phases run are a little lower).
    /// </summary>
    private (double TokensPerSecond, IReadOnlyDictionary<StepPhase, double>? PhaseMicroseconds) MeasureDecode(MoeModel model, int batch)
    {
        var rates = new List<double>();
        var phaseRuns = new List<IReadOnlyDictionary<StepPhase, TimeSpan>>();
        for (var r = 0; r <= settings.Repeats; r++)
        {
            using var engine = NewEngine(model, batch);
            for (var b = 0; b < batch; b++)
            {
                engine.Submit(Request(model.Config, b, r, maxTokens: settings.DecodeTokens + 1));
            }

            // Prefill everything first, then time decode steps only.
            var started = 0;
            while (started < batch)
            {
                started += engine.Step().Count(o => o.OutputTokens == 1);
            }

            using var recorder = settings.Phases && r > 0 ? StepPhaseRecorder.Start() : null;
            var clock = Stopwatch.StartNew();
            var tokens = 0;
            var step = 0;
            while (engine.HasWork)
            {
                tokens += engine.Step().Count(o => o.Token is not null);
                if (++step % 8 == 0)
                {
                    progress.Report($"{model.Directory}: decode batch {batch}, run {r}/{settings.Repeats}", (double)step / settings.DecodeTokens);
                }
            }

            if (r > 0)
            {
                rates.Add(tokens / clock.Elapsed.TotalSeconds);
                if (recorder is not null)
                {
                    phaseRuns.Add(recorder.PerStep());
                }
            }
        }

        var phases = phaseRuns.Count == 0
            ? null
            : Enum.GetValues<StepPhase>().ToDictionary(p => p, p => phaseRuns.Average(run => run[p].TotalMicroseconds));
        return (Median(rates), phases);
    }

    private InferenceEngine NewEngine(MoeModel model, int batch) =>
        new(model.Transformer, model.Experts, new EngineOptions
        {
            KvCacheBytes = model.Config.KvBytesPerToken * batch * (settings.PromptTokens + settings.DecodeTokens + 1),
            MaxBatchedTokens = Math.Max(batch, 1) * settings.PromptTokens,
            MaxRunningSequences = batch,
        });

    private GenerationRequest Request(ModelConfig config, int index, int run, int maxTokens)
    {
        var random = new Random(settings.Seed + (1000 * run) + index);
        var prompt = Enumerable.Range(0, settings.PromptTokens).Select(_ => random.Next(config.VocabSize)).ToArray();
        return new GenerationRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true });
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
