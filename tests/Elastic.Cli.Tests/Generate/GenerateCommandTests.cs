using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Cli.Tests.Generate;

// Each test starts `elastic generate` processes: kept off the cores while cluster tests run (see ServingProcesses).
[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed class GenerateCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Generate_TinyCheckpoint_PrintsTextAndStats()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);

        var (code, stdout, stderr) = await CliProcess.RunAsync(Timeout, "generate", "--model", dir.Path, "--prompt", "12+34=", "--max-tokens", "8", "--threads", "1");

        Assert.True(code == 0, stderr);
        Assert.False(string.IsNullOrWhiteSpace(stdout));
        Assert.Contains("generated, finish: length", stderr, StringComparison.Ordinal);
        Assert.Contains("Loaded", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_ChatWithSeed_IsReproducible()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        string[] args = ["generate", "--model", dir.Path, "--chat", "--prompt", "hi", "-n", "12", "-t", "0.9", "--seed", "7", "--threads", "1"];

        var first = await CliProcess.RunAsync(Timeout, args);
        var second = await CliProcess.RunAsync(Timeout, args);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(first.Stdout, second.Stdout);
    }

    [Fact]
    public async Task Generate_MissingModelFolder_ExitsWithClearError()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(Timeout, "generate", "--model", "/nonexistent/model", "--prompt", "x");

        Assert.Equal(2, code);
        Assert.Contains("'/nonexistent/model' does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_TruncatedWeights_NamesFileAndExits()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var weights = Path.Combine(dir.Path, "model.safetensors");
        await using (var stream = new FileStream(weights, FileMode.Open))
        {
            stream.SetLength(stream.Length / 2);
        }

        var (code, _, stderr) = await CliProcess.RunAsync(Timeout, "generate", "--model", dir.Path, "--prompt", "x");

        Assert.Equal(2, code);
        Assert.Contains(weights, stderr, StringComparison.Ordinal);
        Assert.Contains("truncated", stderr, StringComparison.Ordinal);
    }
}
