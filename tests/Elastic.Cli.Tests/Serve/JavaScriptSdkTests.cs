using System.Collections.Concurrent;
using System.Diagnostics;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Tests.Serve;

/// <summary>
/// The official OpenAI JavaScript SDK (npm <c>openai</c>, pinned in tests/js/package-lock.json and installed by
/// tests/test.sh) against <c>elastic serve</c>: tests/js/openai-sdk.mjs runs its checks and exits non-zero on the
/// first that fails.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed class JavaScriptSdkTests
{
    [Fact]
    public async Task Serve_OfficialJavaScriptSdk_PassesEveryCheck()
    {
        var script = Path.Combine(RepositoryPaths.Root(), "tests", "js", "openai-sdk.mjs");
        Assert.True(
            File.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "openai", "package.json")),
            "the OpenAI JavaScript SDK is not installed in tests/js: run tests/test.sh (it installs Node.js and runs npm ci there)");
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var (port, workerPort) = (LoopbackPorts.Free(), LoopbackPorts.Free());
        var output = new ConcurrentQueue<string>();
        using var server = CliProcess.Start(output, "serve", "--model", dir.Path, "--port", port.ToString(), "--worker-port", workerPort.ToString(), "--threads", "1", "--api-key", "sk-js");
        try
        {
            await CliProcess.WaitUntilReadyAsync($"http://127.0.0.1:{port}/readyz", server);

            var (code, stdout, stderr) = await RunNodeAsync(script, $"http://127.0.0.1:{port}/v1", Path.GetFileName(dir.Path), "sk-js");

            Assert.True(code == 0, $"node exited {code}\n{stdout}\n{stderr}");
            Assert.Matches(@"openai \(npm\) \d+\.\d+\.\d+: 15 checks passed", stdout);
        }
        finally
        {
            CliProcess.Terminate(server, TimeSpan.FromSeconds(60));
        }

        Assert.DoesNotContain(output, line => line.StartsWith("fail:", StringComparison.Ordinal));
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return CliProcess.RunToEndAsync(start, TimeSpan.FromMinutes(3), $"node {script}");
    }
}
