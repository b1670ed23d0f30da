using System.ClientModel;
using System.Text.RegularExpressions;
using Elastic.Inference.Tests.TestCheckpoints;
using OpenAI;
using OpenAI.Chat;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Tests.Cluster;

/// <summary>
/// <c>elastic up --topology disaggregated</c> as real processes on loopback: redis, two expert workers, a prefill and a
/// decode worker and the gateway, compared with the all-in-one <c>elastic serve</c> on the same model.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed partial class UpCommandTests
{
    private static readonly string[] Prompts = ["12+30=", "the quick brown fox", "héllo wörld ✓", "7+21=7"];

    [Fact]
    public async Task Up_Disaggregated_AnswersAsTheAllInOne_StreamsThroughTheGateway_AndStopsEveryProcess()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var model = Path.GetFileName(dir.Path);

        var port = LoopbackPorts.Free();
        var allInOne = $"http://127.0.0.1:{port}";
        List<string> expected;
        using (var serve = CliProcess.Start("serve", "--model", dir.Path, "--port", port.ToString(), "--worker-port", LoopbackPorts.Free().ToString(), "--threads", "1"))
        {
            try
            {
                await CliProcess.WaitUntilReadyAsync(allInOne + "/readyz", serve);
                expected = await AnswersAsync(allInOne, model);
            }
            finally
            {
                CliProcess.Terminate(serve, TimeSpan.FromSeconds(60));
            }
        }

        await using var up = await UpProcess.StartAsync("--model", dir.Path);
        Assert.Equal(["redis", "expert-1", "expert-2", "prefill-1", "decode-1", "gateway"], up.Children.Keys);

        // Greedy answers (completions, streamed completions, chat through the official SDK, streamed) equal the all-in-one's.
        Assert.Equal(expected, await AnswersAsync(up.GatewayUrl, model));

        // Every process serves its health, readiness and metrics.
        foreach (var name in up.Children.Keys.Where(n => n != "redis"))
        {
            var url = up.UrlOf(name);
            await ClusterRequests.GetTextAsync(url + "/healthz");
            await ClusterRequests.GetTextAsync(url + "/readyz");
            Assert.Contains("# TYPE", await ClusterRequests.GetTextAsync(url + "/metrics"), StringComparison.Ordinal);
        }

        // Prompts were prefilled on the prefill silo (KV caches moved) and experts ran on the expert silos.
        var decodeMetrics = await ClusterRequests.GetTextAsync(up.UrlOf("decode-1") + "/metrics");
        Assert.True(Counter(decodeMetrics, "elastic_kv_transfer_tokens_total") > 0, decodeMetrics);
        Assert.True(Counter(decodeMetrics, "elastic_expert_dispatch_calls_total") > 0, decodeMetrics);

        // The first placement spread the shards over both expert processes: each holds a different one.
        var shards1 = ShardsCounted(await ClusterRequests.GetTextAsync(up.UrlOf("expert-1") + "/metrics"));
        var shards2 = ShardsCounted(await ClusterRequests.GetTextAsync(up.UrlOf("expert-2") + "/metrics"));
        Assert.Single(shards1);
        Assert.Single(shards2);
        Assert.NotEqual(shards1.Single(), shards2.Single());

        var pids = up.Children.Values.Select(c => c.Pid).ToList();
        Assert.Equal(0, await up.StopAsync(TimeSpan.FromMinutes(2)));
        Assert.All(pids, pid => Assert.False(UpProcess.IsRunning(pid), $"pid {pid} still runs after elastic up stopped"));
        Assert.Contains("[up] redis stopped", up.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_KilledOutright_LeavesNoProcessBehind_RedisIncluded()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        await using var up = await UpProcess.StartAsync("--model", dir.Path, "--topology", "all-in-one");
        var children = up.Children.ToDictionary(c => c.Key, c => c.Value.Pid);
        Assert.Contains("redis", children.Keys);

        up.KillUp();

        // Workers watch ELASTIC_PARENT_PID; redis-server's watchdog sees its stdin pipe from up close and stops redis
        // 60 s later, once the workers have left the cluster through it.
        var deadline = DateTime.UtcNow.AddSeconds(240);
        while (children.Values.Any(UpProcess.IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.All(children, c => Assert.False(UpProcess.IsRunning(c.Value), $"{c.Key} (pid {c.Value}) still runs 240 s after elastic up was killed"));
    }

    private static async Task<List<string>> AnswersAsync(string baseUrl, string model)
    {
        var answers = new List<string>();
        foreach (var prompt in Prompts)
        {
            var plain = await ClusterRequests.CompleteAsync(baseUrl, model, prompt, 12, stream: false);
            var streamed = await ClusterRequests.CompleteAsync(baseUrl, model, prompt, 12, stream: true);
            Assert.True(plain.Succeeded, $"{prompt}: {plain}");
            Assert.Equal(plain, streamed);
            answers.Add(plain.Text + "|" + plain.FinishReason);
        }

        var chat = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") }).GetChatClient(model);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 10, Temperature = 0 };
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("12+30=")], options);
        var updates = await chat.CompleteChatStreamingAsync([new UserChatMessage("12+30=")], options).ToListAsync();
        Assert.Equal(completion.Content[0].Text, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        answers.Add("chat:" + completion.Content[0].Text);
        return answers;
    }

    private static double Counter(string metrics, string name) =>
        metrics.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Select(l => double.Parse(l[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Sum();

    private static HashSet<string> ShardsCounted(string metrics) => [.. ShardLabel().Matches(metrics).Select(m => m.Groups[1].Value)];

    [GeneratedRegex("^elastic_expert_tokens_total\\{[^}]*shard=\"([^\"]+)\"[^}]*\\} [1-9]", RegexOptions.Multiline)]
    private static partial Regex ShardLabel();
}
