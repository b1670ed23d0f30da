using System.Diagnostics;

namespace Elastic.Cli.Tests.Deploy;

[Trait("Category", "Integration")]
public sealed class ComposeFileTests
{
    [Fact]
    public async Task DockerCompose_Config_IsValidAndPublishesTheGatewayPort()
    {
        // No Docker engine here: docker-compose (installed by tests/test.sh) validates and resolves the file without one.
        var root = RepositoryPaths.Root();
        var start = new ProcessStartInfo("docker-compose", ["-f", Path.Combine(root, "docker-compose.yml"), "config"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, errors);
        Assert.Contains("8080", output, StringComparison.Ordinal);
        Assert.Contains("deploy/docker/Dockerfile", output, StringComparison.Ordinal);
    }
}
