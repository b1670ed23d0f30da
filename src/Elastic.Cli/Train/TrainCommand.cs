using System.CommandLine;
using Elastic.Cli.Console;
using Elastic.Inference.Modeling;
using Elastic.Training.Training;
using Microsoft.Extensions.Logging;

namespace Elastic.Cli.Train;

/// <summary><c>elastic train</c>: trains the default MoE model from its seed and writes a Hugging Face checkpoint.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingOptions();
        var output = new Option<string>("--output", "-o") { Description = "Checkpoint folder to write", DefaultValueFactory = _ => Path.Combine("models", CliOptions.DefaultModelName) };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var seed = new Option<int>("--seed") { Description = "Seed of corpus, initialisation and batches", DefaultValueFactory = _ => defaults.Seed };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => defaults.BatchSize, Description = "Sequences per step" };
        var corpus = new Option<long>("--corpus-bytes") { DefaultValueFactory = _ => defaults.CorpusBytes, Description = "Generated training text" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => defaults.HiddenSize, Description = "Hidden size" };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => defaults.Layers, Description = "Decoder layers" };
        var experts = new Option<int>("--experts") { DefaultValueFactory = _ => defaults.Experts, Description = "Experts per layer" };
        var ffn = new Option<int>("--expert-ffn") { DefaultValueFactory = _ => defaults.ExpertIntermediateSize, Description = "Expert intermediate size" };
        var vocab = new Option<int>("--vocab") { DefaultValueFactory = _ => defaults.VocabSize, Description = "Tokenizer vocabulary size" };
        var budget = new Option<double?>("--time-budget-minutes") { Description = "Stop early (and save) after this long" };
        var threads = CliOptions.Threads();
        var command = new Command("train", "Train the default MoE model (synthetic multi-domain corpus, byte-level BPE, Mixtral layout)")
        {
            output, steps, seed, batch, corpus, hidden, layers, experts, ffn, vocab, budget, threads,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = defaults with
            {
                Steps = parse.GetValue(steps),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(batch),
                CorpusBytes = parse.GetValue(corpus),
                HiddenSize = parse.GetValue(hidden),
                Layers = parse.GetValue(layers),
                Experts = parse.GetValue(experts),
                ExpertIntermediateSize = parse.GetValue(ffn),
                VocabSize = parse.GetValue(vocab),
                TimeBudget = parse.GetValue(budget) is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
                WarmupSteps = Math.Min(defaults.WarmupSteps, Math.Max(0, parse.GetValue(steps) - 1)),
            };
            options.Validate();
            TorchRuntime.Configure(parse.GetValue(threads));
            using var loggers = CliLogging.Create();
            var progress = ConsoleProgress.ForStandardError();
            var trainer = new MoeTrainer(options, loggers.CreateLogger("elastic.train"))
            {
                OnProgress = (step, total, loss) => progress.Report($"step {step}/{total} loss {loss:F3}", (double)step / total),
            };
            var result = trainer.Train(parse.GetValue(output)!, cancellationToken);
            progress.Done();
            System.Console.Out.WriteLine(
                $"Trained {result.OutputDirectory}: {result.Steps} steps, loss {result.FirstLoss:F3} → {result.FinalLoss:F3}, {result.Parameters / 1e6:F2} M parameters, {result.TrainingTokens / 1e6:F2} M tokens in {result.Seconds / 60:F1} min ({result.TokensPerSecond:F0} tokens/s)");
            return Task.FromResult(0);
        });
        return command;
    }
}
