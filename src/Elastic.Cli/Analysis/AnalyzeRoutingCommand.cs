using System.CommandLine;
using Elastic.Cli.Console;
using Elastic.Inference.Generation;
using Elastic.Inference.Modeling;
using Elastic.Training.Evaluation;
using Microsoft.Extensions.Logging;

namespace Elastic.Cli.Analysis;

/// <summary><c>elastic analyze-routing</c>: expert load, per-domain usage and inter-layer co-activation of a model, as JSON and PNG heat-maps.</summary>
internal static class AnalyzeRoutingCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "Folder for routing.json and the PNG heat-maps", DefaultValueFactory = _ => "routing-analysis" };
        var samples = new Option<int>("--samples") { Description = "Held-out samples per domain", DefaultValueFactory = _ => 200 };
        var threads = CliOptions.Threads();
        var command = new Command("analyze-routing", "Trace expert routing on held-out text of each domain; write statistics (JSON) and heat-maps (PNG)")
        {
            model, output, samples, threads,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.Configure(parse.GetValue(threads));
            using var loggers = CliLogging.Create();
            using var served = ServedModel.Load(CliOptions.ResolveModel(parse.GetValue(model)), loggers.CreateLogger("elastic.routing"));
            var progress = ConsoleProgress.ForStandardError();
            var stats = RoutingAnalysis.Run(served, parse.GetValue(samples), progress: f => progress.Report("routing held-out samples", f));
            progress.Done();

            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var jsonPath = Path.Combine(folder, "routing.json");
            File.WriteAllText(jsonPath, stats.ToJson());
            var plots = RoutingPlots.WriteAll(stats, folder);

            var o = System.Console.Out;
            foreach (var layer in stats.Layers)
            {
                o.WriteLine($"layer {layer.Layer}: max/mean expert load {layer.Balance.MaxOverMean:F2}, normalised entropy {layer.Balance.NormalisedEntropy:F3}");
            }

            foreach (var pair in stats.LayerPairs)
            {
                o.WriteLine($"layers {pair.FromLayer}→{pair.ToLayer}: mean max P(j|i) {pair.Concentration.MeanMaxConditional:F3} (uniform {pair.Concentration.UniformBaseline:F3})");
            }

            o.WriteLine($"Wrote {jsonPath} and {plots.Count} heat-maps to {folder}");
            return 0;
        });
        return command;
    }
}
