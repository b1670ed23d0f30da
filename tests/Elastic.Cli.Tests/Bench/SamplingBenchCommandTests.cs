using System.Text.Json;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Cli.Tests.Bench;

[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed class SamplingBenchCommandTests
{
    [Fact]
    public async Task BenchSampling_PrintsOneRowPerVocabulary_AndJson()
    {
        using var dir = new TempDirectory();
        var json = Path.Combine(dir.Path, "sampling.json");

        var (code, stdout, stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(2), "bench", "sampling", "--vocab", "64", "300", "--repeats", "1", "--json", json);

        Assert.True(code == 0, stderr);
        Assert.Contains("| vocabulary | greedy | temperature 1 | top_p 0.9 | top_k 50 | logprobs 5 |", stdout, StringComparison.Ordinal);
        Assert.Contains("| 64 | ", stdout, StringComparison.Ordinal);
        Assert.Contains("| 300 | ", stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var perSample = doc.RootElement.GetProperty("microsecondsPerSample");
        foreach (var vocab in new[] { "64", "300" })
        {
            foreach (var setting in perSample.GetProperty(vocab).EnumerateObject())
            {
                Assert.True(setting.Value.GetDouble() > 0, $"{vocab} {setting.Name}");
            }
        }
    }

    [Fact]
    public async Task BenchSampling_VocabularyOfOne_IsRefusedByName()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(1), "bench", "sampling", "--vocab", "1");

        Assert.NotEqual(0, code);
        Assert.Contains("--vocab", stderr, StringComparison.Ordinal);
    }
}
