using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Elastic.Inference.Sampling;

namespace Elastic.Cli.Bench;

/// <summary>
/// <c>elastic bench sampling</c>: µs to pick one token from a vocabulary's logits with the usual sampling settings.
/// A decode step samples every running sequence on the engine thread, so with a large vocabulary this is part of
/// every token's cost (the model's step is not involved: logits are seeded random, peaked like a language model's).
/// </summary>
internal static class BenchSamplingCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static readonly (string Name, SamplingParams Params)[] Settings =
    [
        ("greedy", new SamplingParams { Temperature = 0 }),
        ("temperature 1", new SamplingParams { Temperature = 1, Seed = 1 }),
        ("top_p 0.9", new SamplingParams { Temperature = 1, TopP = 0.9f, Seed = 1 }),
        ("top_k 50", new SamplingParams { Temperature = 1, TopK = 50, Seed = 1 }),
        ("logprobs 5", new SamplingParams { Temperature = 1, Logprobs = 5, Seed = 1 }),
    ];

    public static Command Create()
    {
        var vocab = new Option<int[]>("--vocab") { Description = "Vocabulary sizes (2048: the default model; 151936: Qwen-family checkpoints)", DefaultValueFactory = _ => [2048, 151936], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per setting after a 1 s warm-up (median reported)", DefaultValueFactory = _ => 5 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var command = new Command("sampling", "µs to sample one token from a vocabulary's logits: greedy, temperature, top-p, top-k, logprobs") { vocab, repeats, json };
        command.SetAction(parse => Run(parse.GetValue(vocab)!, parse.GetValue(repeats), parse.GetValue(json)));
        return command;
    }

    private static int Run(int[] vocabularies, int repeats, string? jsonPath)
    {
        if (vocabularies.Length == 0 || vocabularies.Any(v => v < 2))
        {
            throw new ArgumentException($"--vocab: every size must be at least 2, got {string.Join(", ", vocabularies)}");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1, "--repeats");
        var results = new Dictionary<string, Dictionary<string, double>>();
        foreach (var size in vocabularies)
        {
            var logits = Logits(size);
            var row = results[size.ToString(CultureInfo.InvariantCulture)] = [];
            foreach (var (name, parameters) in Settings)
            {
                System.Console.Error.WriteLine($"sampling: vocabulary {size}, {name}");
                row[name] = MicrosecondsPerSample(new Sampler(parameters), logits, repeats);
            }
        }

        var o = System.Console.Out;
        o.WriteLine($"Sampling one token: µs per sample, median of {repeats} timed runs after a 1 s warm-up each (seeded logits: normal, σ 3, five strong candidates)");
        o.WriteLine($"| vocabulary | {string.Join(" | ", Settings.Select(s => s.Name))} |");
        o.WriteLine($"|---|{string.Concat(Settings.Select(_ => "---|"))}");
        foreach (var (size, row) in results)
        {
            o.WriteLine($"| {size} | {string.Join(" | ", Settings.Select(s => row[s.Name].ToString("F2", CultureInfo.InvariantCulture)))} |");
        }

        if (jsonPath is not null)
        {
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new { repeats, microsecondsPerSample = results }, JsonOptions));
        }

        return 0;
    }

    private static double MicrosecondsPerSample(Sampler sampler, float[] logits, int repeats)
    {
        var warmUp = Stopwatch.StartNew();
        var count = 0;
        while (warmUp.ElapsedMilliseconds < 1000)
        {
            sampler.Sample(logits);
            count++;
        }

        // Each timed run takes about a fifth of a second.
        var perRun = Math.Max(10, count / 5);
        var runs = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < perRun; i++)
            {
                sampler.Sample(logits);
            }

            runs[r] = clock.Elapsed.TotalMicroseconds / perRun;
        }

        Array.Sort(runs);
        return runs[repeats / 2];
    }

    private static float[] Logits(int size)
    {
        var random = new Random(size);
        var logits = new float[size];
        for (var i = 0; i < size; i++)
        {
            var radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            logits[i] = (float)(3 * radius * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        for (var i = 0; i < 5; i++)
        {
            logits[random.Next(size)] = 15 + i;
        }

        return logits;
    }
}
