using System.Globalization;
using System.Text.Json;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Cli.Tests.Bench;

// Saturates the cores (bandwidth and compute probes, decode runs): run apart from the cluster tests, which under that
// load miss membership probes and see a silo voted dead.
[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed class EngineBenchCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task BenchEngine_Small_PrintsTableAndJsonWithMachineCeilings()
    {
        using var dir = new TempDirectory();
        var json = Path.Combine(dir.Path, "bench.json");

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            Timeout, "bench", "engine", "--models", "small", "--batch", "1", "4", "--prompt-tokens", "8", "--prefill-batch", "3", "--decode-tokens", "4", "--repeats", "1", "--threads", "1", "--json", json);

        Assert.True(code == 0, stderr);
        Assert.Contains("| small | 14 M |", stdout, StringComparison.Ordinal);
        Assert.Contains("b4 ceiling tok/s", stdout, StringComparison.Ordinal);
        Assert.Contains("ideal gain b4 / b1", stdout, StringComparison.Ordinal);
        Assert.Contains("Prompt 8 tokens, prefilled 3 at a time", stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("bandwidthGBps").GetDouble() > 0);
        Assert.True(root.GetProperty("computeGFlops").GetDouble() > 0);
        Assert.True(root.GetProperty("kernelGFlops").GetDouble() > 0);
        var small = root.GetProperty("results")[0];
        Assert.Equal("small", small.GetProperty("Model").GetString());
        Assert.True(small.GetProperty("PrefillTokensPerSecond").GetDouble() > 0);
        var decode = small.GetProperty("DecodeTokensPerSecond");
        Assert.True(decode.GetProperty("1").GetDouble() > 0);
        Assert.True(decode.GetProperty("4").GetDouble() > 0);
        Assert.InRange(small.GetProperty("IdealBatchGain").GetProperty("4").GetDouble(), 1.0, 4.0);
    }

    [Fact]
    public async Task BenchEngine_CheckpointFolderWithPhases_BenchmarksItsOwnWeights_AndShowsWhereAStepGoes()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var json = Path.Combine(dir.Path, "bench.json");

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            Timeout, "bench", "engine", "--models", dir.Path, "--batch", "1", "2", "--prompt-tokens", "8", "--decode-tokens", "4", "--repeats", "1", "--threads", "1", "--phases", "--json", json);

        Assert.True(code == 0, stderr);
        Assert.Contains($"| {dir.Path} |", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("random weights", stderr, StringComparison.Ordinal);
        Assert.Contains($"Decode step phases of {dir.Path}", stdout, StringComparison.Ordinal);
        Assert.Contains("| phase | b=1 | b=2 |", stdout, StringComparison.Ordinal);
        Assert.Contains("| attention | ", stdout, StringComparison.Ordinal);
        Assert.Contains("| feed-forward (experts) | ", stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var phases = doc.RootElement.GetProperty("results")[0].GetProperty("DecodePhaseMicroseconds").GetProperty("2");
        Assert.True(phases.GetProperty("Attention").GetDouble() > 0);
        Assert.True(phases.GetProperty("FeedForward").GetDouble() > 0);
        Assert.True(phases.GetProperty("Logits").GetDouble() > 0);
    }

    [Fact]
    public async Task BenchEngine_CheckpointTooShortForTheRun_NamesTheContext()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var context = TestCheckpoint.LoadConfig(dir.Path).MaxPositionEmbeddings;

        var (code, _, stderr) = await CliProcess.RunAsync(
            Timeout, "bench", "engine", "--models", dir.Path, "--batch", "1", "--prompt-tokens", context.ToString(CultureInfo.InvariantCulture), "--decode-tokens", "4", "--threads", "1");

        Assert.NotEqual(0, code);
        Assert.Contains($"exceed the model's context of {context} tokens", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchEngine_UnknownModel_NamesTheChoices()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(Timeout, "bench", "engine", "--models", "huge");

        Assert.NotEqual(0, code);
        Assert.Contains("unknown benchmark model 'huge'", stderr, StringComparison.Ordinal);
        Assert.Contains("small, bench-M, bench-M8", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchEngine_ZeroPrefillBatch_NamesTheOption()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(Timeout, "bench", "engine", "--models", "small", "--prefill-batch", "0");

        Assert.NotEqual(0, code);
        Assert.Contains("--prefill-batch", stderr, StringComparison.Ordinal);
    }
}
