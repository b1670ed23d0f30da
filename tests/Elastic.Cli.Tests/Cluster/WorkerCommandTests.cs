using Elastic.Abstractions.Grains;
using Elastic.Cli.Cluster;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class WorkerCommandTests
{
    [Theory]
    [InlineData("prefill", WorkerRole.Prefill)]
    [InlineData("Decode", WorkerRole.Decode)]
    [InlineData("prefill, decode", WorkerRole.Prefill | WorkerRole.Decode)]
    [InlineData("all", WorkerRole.All)]
    [InlineData("expert,all", WorkerRole.All)]
    public void ParseRoles_AcceptsRolesAndCommaLists(string text, WorkerRole expected) => Assert.Equal(expected, WorkerCommand.ParseRoles(text));

    [Theory]
    [InlineData("decoder", "'decoder' is not a role")]
    [InlineData(" , ", "no role given")]
    public void ParseRoles_Bad_NamesTheFlagAndValue(string text, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => WorkerCommand.ParseRoles(text));

        Assert.StartsWith("--role: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_WithoutRedisAddress_FailsNamingTheFlag()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(1), "worker", "--role", "expert", "--cluster", "127.0.0.1:6379");

        Assert.Equal(2, code);
        Assert.Contains("--cluster: cluster address '127.0.0.1:6379' is not understood", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_WithZeroExpertWorkers_FailsBeforeStartingAnything()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(1), "up", "--expert-workers", "0", "--port", LoopbackPorts.Free().ToString());

        Assert.Equal(2, code);
        Assert.Contains("--expert-workers", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("redis", stderr, StringComparison.Ordinal);
    }
}
