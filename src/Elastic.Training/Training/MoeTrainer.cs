using System.Diagnostics;
using System.Text.Json;
using Elastic.Inference.Chat;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Tokenization;
using Elastic.Training.Corpus;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Training.Training;

/// <summary>What a training run did, for logs and the model card.</summary>
public sealed record TrainingResult(string OutputDirectory, int Steps, double FirstLoss, double FinalLoss, double FinalAuxLoss, double Seconds, double TokensPerSecond, long TrainingTokens, long Parameters);

/// <summary>
/// Trains the default model end to end: corpus → byte-level BPE tokenizer → Mixtral-layout MoE with
/// AdamW (warm-up, cosine decay) and a load-balancing loss → a Hugging Face checkpoint folder.
/// The folder is written under a temporary name and moved into place at the end: no half-written model.
/// </summary>
public sealed partial class MoeTrainer(TrainingOptions options, ILogger logger)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Called after each logged step with (step, steps, loss) for progress bars.</summary>
    public Action<int, int, double>? OnProgress { get; init; }

    public TrainingResult Train(string outputDirectory, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var staging = outputDirectory.TrimEnd(Path.DirectorySeparatorChar) + ".training";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging);
        try
        {
            var texts = BuildCorpus();
            LogPhase(logger, "tokenizer", clock.Elapsed.TotalSeconds);
            ByteLevelBpeTrainer.Train(texts, options.VocabSize, DefaultModelFiles.SpecialTokens, Path.Combine(staging, "tokenizer.json"), individualDigits: true);
            WriteJson(Path.Combine(staging, "tokenizer_config.json"), DefaultModelFiles.TokenizerConfig());
            var tokenizer = ModelTokenizer.Load(staging);
            var eos = tokenizer.EosTokenId ?? throw new InvalidOperationException("the trained tokenizer lost its end-of-text token");
            var stream = Tokenize(tokenizer, texts, eos);
            LogTokens(logger, stream.Length, texts.Count, clock.Elapsed.TotalSeconds);

            var configJson = DefaultModelFiles.Config(options, tokenizer.VocabSize, eos);
            var config = DefaultModelFiles.Parse(configJson);
            using var model = new TrainableMoe(config, options.Seed);
            var result = Optimise(model, stream, cancellationToken);

            WriteJson(Path.Combine(staging, "config.json"), configJson);
            WriteJson(Path.Combine(staging, "generation_config.json"), DefaultModelFiles.GenerationConfig(eos));
            var weights = model.ExportWeights().ToList();
            var bytes = weights.Sum(w => (long)w.Data.Length) * sizeof(float);
            // fp32 if it fits the repository budget, bf16 otherwise (the loader reads both).
            var dtype = bytes <= 25_000_000 ? TensorDType.F32 : TensorDType.BF16;
            SafeTensorsWriter.Write(Path.Combine(staging, "model.safetensors"), weights, dtype, new Dictionary<string, string> { ["format"] = "pt" });

            if (Directory.Exists(outputDirectory))
            {
                Directory.Delete(outputDirectory, recursive: true);
            }

            Directory.Move(staging, outputDirectory);
            var parameters = weights.Sum(w => (long)w.Data.Length);
            var final = result with { OutputDirectory = outputDirectory, Seconds = clock.Elapsed.TotalSeconds, Parameters = parameters };
            var millions = parameters / 1e6;
            var dtypeName = dtype.ToString();
            LogDone(logger, outputDirectory, final.Steps, final.FinalLoss, final.Seconds, millions, dtypeName);
            return final;
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }

    /// <summary>Corpus samples as training texts; a share of additions and JSON records become chat exchanges, rendered with the shipped template.</summary>
    internal List<string> BuildCorpus()
    {
        var generator = new CorpusGenerator(options.Seed, CorpusSplit.Train);
        var template = ChatTemplate.Parse(DefaultModelFiles.ChatTemplate);
        var random = new Random(options.Seed);
        var texts = new List<string>();
        long bytes = 0;
        while (bytes < options.CorpusBytes)
        {
            var sample = generator.Next();
            var text = sample.Text;
            if (sample.Domain == CorpusDomain.Arithmetic && random.Next(5) == 0 && ArithmeticProblems.TryParseAddition(text, out var a, out var b, out var sum))
            {
                text = template.Render([new ChatMessage("user", ArithmeticProblems.ArithmeticPrompt(a, b)), new ChatMessage("assistant", sum.ToString(System.Globalization.CultureInfo.InvariantCulture))], false, null, DefaultModelFiles.EndOfText);
            }
            else if (sample.Domain == CorpusDomain.Json && random.Next(10) == 0)
            {
                text = template.Render([new ChatMessage("user", "Write a JSON record."), new ChatMessage("assistant", text)], false, null, DefaultModelFiles.EndOfText);
            }

            texts.Add(text);
            bytes += text.Length;
        }

        return texts;
    }

    private static int[] Tokenize(ModelTokenizer tokenizer, List<string> texts, int eos)
    {
        var stream = new List<int>();
        foreach (var text in texts)
        {
            stream.AddRange(tokenizer.Encode(text, addSpecialTokens: false));
            if (!text.EndsWith('\n'))
            {
                // Plain samples end with end-of-text like chat turns do, so generation learns to stop.
                stream.Add(eos);
            }
        }

        return [.. stream];
    }

    private TrainingResult Optimise(TrainableMoe model, int[] stream, CancellationToken cancellationToken)
    {
        var o = options;
        var decay = model.parameters().Where(p => p.dim() >= 2).ToList();
        var noDecay = model.parameters().Where(p => p.dim() < 2).ToList();
        using var optimizer = torch.optim.AdamW(
            [new TorchSharp.Modules.AdamW.ParamGroup(decay, o.PeakLearningRate, 0.9, 0.95, 1e-8, o.WeightDecay, false, false),
             new TorchSharp.Modules.AdamW.ParamGroup(noDecay, o.PeakLearningRate, 0.9, 0.95, 1e-8, 0, false, false)],
            o.PeakLearningRate, 0.9, 0.95, 1e-8, o.WeightDecay);
        var random = new Random(o.Seed);
        var window = o.SequenceLength + 1;
        var batch = new long[o.BatchSize * window];
        var clock = Stopwatch.StartNew();
        double firstLoss = double.NaN, loss = double.NaN, aux = double.NaN, smoothed = double.NaN;
        var step = 0;
        model.train();
        for (step = 1; step <= o.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var lr = LearningRate(step);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            for (var b = 0; b < o.BatchSize; b++)
            {
                var start = random.Next(stream.Length - window);
                for (var t = 0; t < window; t++)
                {
                    batch[(b * window) + t] = stream[start + t];
                }
            }

            using (var scope = torch.NewDisposeScope())
            {
                var tokens = torch.tensor(batch, [o.BatchSize, window]);
                var inputs = tokens.narrow(1, 0, o.SequenceLength);
                var targets = tokens.narrow(1, 1, o.SequenceLength);
                var (logits, auxLoss) = model.forward(inputs);
                var ce = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1));
                var total = ce + (auxLoss * o.AuxLossCoefficient);
                optimizer.zero_grad();
                total.backward();
                nn.utils.clip_grad_norm_(model.parameters(), o.GradientClip);
                optimizer.step();
                loss = ce.item<float>();
                aux = auxLoss.item<float>();
            }

            if (double.IsNaN(firstLoss))
            {
                firstLoss = loss;
            }

            if (!double.IsFinite(loss))
            {
                throw new InvalidOperationException($"training diverged at step {step}: loss {loss}");
            }

            smoothed = double.IsNaN(smoothed) ? loss : (0.95 * smoothed) + (0.05 * loss);
            if (step % o.LogEvery == 0 || step == o.Steps)
            {
                var seconds = clock.Elapsed.TotalSeconds;
                var tokensPerSecond = (double)step * o.BatchSize * o.SequenceLength / seconds;
                var eta = (o.Steps - step) * seconds / step;
                LogStep(logger, step, o.Steps, smoothed, aux, lr, tokensPerSecond, eta);
                OnProgress?.Invoke(step, o.Steps, smoothed);
            }

            if (o.TimeBudget is { } budget && clock.Elapsed > budget)
            {
                LogTimeBudget(logger, step, budget.TotalMinutes);
                break;
            }
        }

        var done = Math.Min(step, o.Steps);
        var elapsed = clock.Elapsed.TotalSeconds;
        return new TrainingResult("", done, firstLoss, smoothed, aux, elapsed, (double)done * o.BatchSize * o.SequenceLength / elapsed, (long)done * o.BatchSize * o.SequenceLength, 0);
    }

    /// <summary>Linear warm-up, then cosine decay to MinLearningRateRatio of the peak.</summary>
    internal double LearningRate(int step)
    {
        var o = options;
        if (step <= o.WarmupSteps)
        {
            return o.PeakLearningRate * step / Math.Max(1, o.WarmupSteps);
        }

        var progress = (double)(step - o.WarmupSteps) / Math.Max(1, o.Steps - o.WarmupSteps);
        var cosine = 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
        return o.PeakLearningRate * (o.MinLearningRateRatio + ((1 - o.MinLearningRateRatio) * cosine));
    }

    private static void WriteJson(string path, System.Text.Json.Nodes.JsonNode node) => File.WriteAllText(path, node.ToJsonString(Indented) + "\n");

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Training phase: {Phase} (after {Seconds:F1} s)")]
    private static partial void LogPhase(ILogger logger, string phase, double seconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Tokenized {Tokens} tokens from {Samples} samples in {Seconds:F1} s")]
    private static partial void LogTokens(ILogger logger, int tokens, int samples, double seconds);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "step {Step}/{Steps} loss {Loss:F3} aux {Aux:F3} lr {Lr:E2} {TokensPerSecond:F0} tok/s ETA {Eta:F0} s")]
    private static partial void LogStep(ILogger logger, int step, int steps, double loss, double aux, double lr, double tokensPerSecond, double eta);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Stopped at step {Step}: time budget of {Minutes:F1} min reached")]
    private static partial void LogTimeBudget(ILogger logger, int step, double minutes);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Saved {Directory}: {Steps} steps, loss {Loss:F3}, {Seconds:F0} s, {MillionParameters:F2} M parameters stored as {DType}")]
    private static partial void LogDone(ILogger logger, string directory, int steps, double loss, double seconds, double millionParameters, string dtype);
}
