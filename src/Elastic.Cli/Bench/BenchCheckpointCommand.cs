using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Elastic.Cli.Console;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Tokenization;

namespace Elastic.Cli.Bench;

/// <summary>
/// <c>elastic bench checkpoint</c>: writes a benchmark shape (e.g. bench-M) as a servable Hugging Face checkpoint with
/// seeded random weights and the default model's tokenizer, so serving benchmarks can load it like any model.
/// </summary>
internal static class BenchCheckpointCommand
{
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];

    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = $"Benchmark shape: {string.Join(", ", BenchModels.Names)}", DefaultValueFactory = _ => "bench-M" };
        var output = new Option<string>("--out") { Description = "Folder to write (must not exist)", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights", DefaultValueFactory = _ => 1 };
        var command = new Command("checkpoint", "Write a benchmark shape as a servable checkpoint (random weights, the default model's tokenizer)") { shape, output, seed };
        command.SetAction(parse => Write(parse.GetValue(shape)!, parse.GetValue(output)!, parse.GetValue(seed)));
        return command;
    }

    private static int Write(string shape, string output, int seed)
    {
        var target = Path.GetFullPath(output);
        if (Directory.Exists(target) || File.Exists(target))
        {
            throw new ArgumentException($"--out: '{target}' already exists; give a new folder");
        }

        var tokenizerSource = CliOptions.ResolveModel(null);
        var vocab = ModelTokenizer.Load(tokenizerSource).VocabSize;
        var json = BenchModels.ConfigJson(shape, vocab);
        var config = ModelConfig.Parse(json);
        var clock = Stopwatch.StartNew();
        var progress = ConsoleProgress.ForStandardError();
        var staging = target + ".partial";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging);
        try
        {
            foreach (var file in TokenizerFiles)
            {
                File.Copy(Path.Combine(tokenizerSource, file), Path.Combine(staging, file));
            }

            // The tokenizer's special ids must hold in the new config too.
            var sourceConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(tokenizerSource, "config.json")))!;
            json["bos_token_id"] = sourceConfig["bos_token_id"]?.DeepClone();
            json["eos_token_id"] = sourceConfig["eos_token_id"]?.DeepClone();
            File.WriteAllText(Path.Combine(staging, "config.json"), json.ToJsonString(new() { WriteIndented = true }));

            var expected = WeightNames.Expected(config);
            var random = new Random(seed);
            var done = 0;
            var tensors = expected.Select(t =>
            {
                progress.Report("random weights", (double)done++ / expected.Count);
                var data = new float[t.Shape.Aggregate(1L, (a, b) => a * b)];
                // Norm weights 1, everything else small uniform noise: activations stay finite over all layers.
                var isNorm = t.Name.EndsWith("norm.weight", StringComparison.Ordinal);
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = isNorm ? 1f : (float)((random.NextDouble() - 0.5) * 0.04);
                }

                return (t.Name, t.Shape, data);
            });
            SafeTensorsWriter.Write(Path.Combine(staging, "model.safetensors"), tensors, TensorDType.F32, new Dictionary<string, string> { ["format"] = "pt" });
            progress.Done();
            Directory.Move(staging, target);
        }
        catch
        {
            progress.Done();
            Directory.Delete(staging, recursive: true);
            throw;
        }

        var parameters = WeightNames.Expected(config).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
        System.Console.Error.WriteLine($"Wrote {shape} ({parameters / 1e6:F0} M parameters, fp32) to {target} in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
