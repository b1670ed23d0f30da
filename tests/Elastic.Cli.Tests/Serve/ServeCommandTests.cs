using System.Collections.Concurrent;
using System.ClientModel;
using System.Diagnostics;
using System.Text.Json;
using Elastic.Inference.Tests.TestCheckpoints;
using OpenAI;
using OpenAI.Chat;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Tests.Serve;

[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_OpenAiSdkThroughGateway_ChatAndStreamWork_ThenStopsCleanlyOnSigterm()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var (port, workerPort) = (LoopbackPorts.Free(), LoopbackPorts.Free());
        var output = new ConcurrentQueue<string>();
        using var process = CliProcess.Start(output, "serve", "--model", dir.Path, "--port", port.ToString(), "--worker-port", workerPort.ToString(), "--threads", "1", "--api-key", "sk-test");
        try
        {
            var baseUrl = $"http://127.0.0.1:{port}";
            await CliProcess.WaitUntilReadyAsync(baseUrl + "/readyz", process);
            var client = new OpenAIClient(new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") });
            var chat = client.GetChatClient(Path.GetFileName(dir.Path));

            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("12+30=")], new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 });
            var streamed = "";
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("12+30=")], new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 }))
            {
                streamed += string.Concat(update.ContentUpdate.Select(p => p.Text));
            }

            Assert.True(completion.Usage.OutputTokenCount is > 0 and <= 6);
            Assert.Equal(completion.Content[0].Text, streamed);

            // Experts ran on shard grains (the serve default), and each shard reported its tokens under its own id.
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{workerPort}/metrics");
            Assert.Contains($"shard=\"{Path.GetFileName(dir.Path)}/shard-", metrics, StringComparison.Ordinal);

            // The load tool against the same gateway: every request succeeds and its reads completed inline (ClientSockets).
            var json = Path.Combine(dir.Path, "bench.json");
            var (benchCode, _, benchErr) = await CliProcess.RunAsync(
                TimeSpan.FromMinutes(2), "bench", "serve", "--base-url", baseUrl, "--model", Path.GetFileName(dir.Path), "--api-key", "sk-test", "--num-prompts", "4",
                "--max-concurrency", "2", "--input-len", "8", "--output-len", "4", "--prompt-mode", "ids", "--vocab-size", "300", "--json", json);
            Assert.True(benchCode == 0, benchErr);
            using (var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)))
            {
                var results = report.RootElement.GetProperty("results");
                Assert.Equal((4, 0, 16), (results.GetProperty("completed").GetInt32(), results.GetProperty("failed").GetInt32(), results.GetProperty("totalOutputTokens").GetInt32()));
                Assert.Equal("inline", report.RootElement.GetProperty("settings").GetProperty("clientSocketCompletions").GetString());
            }

            var wrongKey = new OpenAIClient(new ApiKeyCredential("sk-wrong"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") }).GetChatClient("x");
            var denied = await Assert.ThrowsAsync<ClientResultException>(() => wrongKey.CompleteChatAsync([new UserChatMessage("hi")]));
            Assert.Equal(401, denied.Status);
        }
        finally
        {
            CliProcess.Terminate(process, TimeSpan.FromSeconds(60));
        }

        Assert.True(process.HasExited);
        process.WaitForExit();
        // A graceful stop logs no failure: the gateway's cluster watch once held the silo's shutdown for 10 s
        // ("stopped in stage 'GrainDeactivation'") and then failed its calls into the stopping silo.
        var log = string.Join('\n', output);
        Assert.Contains("Drained after", log, StringComparison.Ordinal);
        // --engine-nice defaults to -10 and reaches the worker: applied with CAP_SYS_NICE, a warning without it.
        Assert.True(
            log.Contains("Engine threads (engine loops, compute pool) run at nice -10", StringComparison.Ordinal) || log.Contains("Engine threads keep nice 0 instead of -10", StringComparison.Ordinal),
            log);
        Assert.DoesNotContain(output, line => line.StartsWith("fail:", StringComparison.Ordinal) || line.Contains("stopped in stage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_UnknownExpertsMode_FailsListingTheModes()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(1), "serve", "--experts", "remote-ish");

        Assert.NotEqual(0, code);
        Assert.Contains("'remote-ish'", stderr, StringComparison.Ordinal);
        Assert.Contains("'cluster'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ZeroExpertShards_FailsAtStartNamingTheSetting()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            TimeSpan.FromMinutes(1), "serve", "--model", dir.Path, "--port", LoopbackPorts.Free().ToString(), "--worker-port", LoopbackPorts.Free().ToString(), "--threads", "1", "--expert-shards", "0");

        Assert.NotEqual(0, code);
        Assert.Contains("Worker:ExpertShards", stdout + stderr, StringComparison.Ordinal);
    }
}
