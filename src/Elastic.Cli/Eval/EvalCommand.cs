using System.CommandLine;
using System.Text.Json;
using Elastic.Cli.Console;
using Elastic.Inference.Generation;
using Elastic.Inference.Modeling;
using Elastic.Training.Evaluation;
using Microsoft.Extensions.Logging;

namespace Elastic.Cli.Eval;

/// <summary><c>elastic eval</c>: held-out quality of a model trained on the synthetic corpus.</summary>
internal static class EvalCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var model = CliOptions.Model();
        var json = new Option<string?>("--json") { Description = "Also write the full report (with failures) as JSON to this file" };
        var records = new Option<int>("--json-records") { Description = "JSON records to sample", DefaultValueFactory = _ => 200 };
        var samples = new Option<int>("--perplexity-samples") { Description = "Held-out samples per domain for perplexity", DefaultValueFactory = _ => 200 };
        var threads = CliOptions.Threads();
        var command = new Command("eval", "Evaluate a model on held-out synthetic data: 2-digit addition exact match, JSON validity, per-domain perplexity")
        {
            model, json, records, samples, threads,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.Configure(parse.GetValue(threads));
            using var loggers = CliLogging.Create();
            using var served = ServedModel.Load(CliOptions.ResolveModel(parse.GetValue(model)), loggers.CreateLogger("elastic.eval"));
            var progress = ConsoleProgress.ForStandardError();
            var report = new ModelEvaluator(served).Evaluate(parse.GetValue(records), parse.GetValue(samples), progress.Report);
            progress.Done();

            var o = System.Console.Out;
            o.WriteLine($"Model: {served.Name}");
            o.WriteLine($"2-digit addition, held-out pairs: {report.AdditionExactMatch:P1} exact match ({report.AdditionProblems} problems)");
            o.WriteLine($"JSON records that parse:          {report.JsonParseRate:P1} ({report.JsonRecords} sampled at temperature 0.8)");
            o.WriteLine("Perplexity on held-out text:");
            foreach (var (domain, ppl) in report.Perplexity)
            {
                o.WriteLine($"  {domain,-12} {ppl,8:F2}");
            }

            foreach (var failure in report.AdditionFailures.Take(5))
            {
                o.WriteLine($"  addition miss: {failure}");
            }

            if (parse.GetValue(json) is { } path)
            {
                File.WriteAllText(path, JsonSerializer.Serialize(report, JsonOptions));
            }

            return 0;
        });
        return command;
    }
}
