using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace Elastic.Worker.Tests.Api;

[Trait("Category", "Integration")]
public sealed class LocalBackendApiTests : IClassFixture<LocalBackendFixture>
{
    private readonly LocalBackendFixture _fixture;

    public LocalBackendApiTests(LocalBackendFixture fixture) => _fixture = fixture;

    private HttpClient Client => _fixture.Host.Client;

    [Fact]
    public async Task Sdk_CompleteChat_ReturnsReplyWithUsageAndFinishReason()
    {
        var chat = ChatClient();

        ChatCompletion completion = await chat.CompleteChatAsync(
            [new SystemChatMessage("be brief"), new UserChatMessage("12+30=")],
            new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 });

        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 8);
        Assert.Equal(ExpectedPromptTokens("be brief", "12+30="), completion.Usage.InputTokenCount);
        Assert.Contains(completion.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        Assert.Equal(_fixture.Model, completion.Model);
    }

    [Fact]
    public async Task Sdk_CompleteChatStreaming_StreamsTheSameTextAsNonStreamedAndReportsUsage()
    {
        var chat = ChatClient();
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 0 };
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage("the quick")], options);

        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("the quick")], options))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Content.Count == 0 ? "" : whole.Content[0].Text, streamed.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.True(updates >= 3, "role, content and finish arrive as separate chunks");
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
    }

    [Fact]
    public async Task Completions_SeededN2_ReproducibleAndSecondChoiceUsesSeedPlusOne()
    {
        var body = $$"""{"model":"{{_fixture.Model}}","prompt":"hello","max_tokens":12,"temperature":1,"seed":11,"n":2,"ignore_eos":true}""";

        var first = await PostJsonAsync("v1/completions", body);
        var again = await PostJsonAsync("v1/completions", body);
        var seed12 = await PostJsonAsync("v1/completions", $$"""{"model":"{{_fixture.Model}}","prompt":"hello","max_tokens":12,"temperature":1,"seed":12,"ignore_eos":true}""");

        Assert.Equal(Texts(first), Texts(again));
        Assert.Equal(Texts(seed12)[0], Texts(first)[1]);
        Assert.Equal([0, 1], first["choices"]!.AsArray().Select(c => (int)c!["index"]!));
        Assert.Equal(24, (int)first["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Completions_StopString_CutsTextBeforeItAndFinishesWithStop()
    {
        var free = await PostJsonAsync("v1/completions", $$"""{"model":"{{_fixture.Model}}","prompt":"the quick","max_tokens":30,"temperature":0,"ignore_eos":true}""");
        var text = Texts(free)[0];
        Assert.True(text.Length >= 6, $"need some text to cut, got '{text}'");
        var stop = text.Substring(3, 2);

        var cut = await PostJsonAsync("v1/completions", $$"""{"model":"{{_fixture.Model}}","prompt":"the quick","max_tokens":30,"temperature":0,"ignore_eos":true,"stop":[{{JsonValue.Create(stop).ToJsonString()}}]}""");

        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], Texts(cut)[0]);
        Assert.Equal("stop", (string?)cut["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Completions_TokenIdPromptWithLogprobs_ReturnsOneEntryPerGeneratedToken()
    {
        var ids = _fixture.Served.Tokenizer.Encode("12+34=", addSpecialTokens: true);
        var json = await PostJsonAsync("v1/completions",
            $$"""{"model":"{{_fixture.Model}}","prompt":[{{string.Join(',', ids)}}],"max_tokens":5,"temperature":0,"ignore_eos":true,"logprobs":2}""");

        var logprobs = json["choices"]![0]!["logprobs"]!;
        Assert.Equal(ids.Count, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(5, logprobs["tokens"]!.AsArray().Count);
        Assert.All(logprobs["token_logprobs"]!.AsArray(), v => Assert.InRange((double)v!, -9999, 0));
        Assert.All(logprobs["top_logprobs"]!.AsArray(), top => Assert.InRange(top!.AsObject().Count, 1, 3));
        // Greedy decoding picks the most likely token, so it is among the top alternatives with the same log-probability.
        var firstToken = (string)logprobs["tokens"]![0]!;
        Assert.Equal((double)logprobs["token_logprobs"]![0]!, (double)logprobs["top_logprobs"]![0]![firstToken]!, 4);
    }

    [Fact]
    public async Task ChatCompletions_ClientDisconnects_GenerationStopsAndKvCacheIsFreed()
    {
        var engine = _fixture.Loop.Engine;
        var generatedBefore = engine.Stats.GeneratedTokens;
        var abortsBefore = await RequestsWithStatus("abort");
        var lengthsBefore = await RequestsWithStatus("length");
        using var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0 };
        using (var client = new HttpClient(handler) { BaseAddress = _fixture.Host.BaseAddress })
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // max_tokens far beyond what the engine makes in the seconds a loaded machine may take to see the client go.
            var response = await Sse.PostStreamAsync(client, "v1/chat/completions",
                $$"""{"model":"{{_fixture.Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":32000,"ignore_eos":true,"stream":true}""", timeout.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
            Assert.NotNull(await Sse.ReadEventAsync(reader, timeout.Token));
            Assert.NotNull(await Sse.ReadEventAsync(reader, timeout.Token));
            Assert.True(engine.KvCache.ReservedTokens > 0, "the sequence holds its cache while streaming");
            response.Dispose();
        }

        await WaitUntil(() => engine.KvCache.ReservedTokens == 0 && engine.KvCache.AllocatedBytes == 0,
            () => $"reserved {engine.KvCache.ReservedTokens} tokens, {engine.KvCache.AllocatedBytes} bytes; {engine.Stats.GeneratedTokens - generatedBefore} generated");
        await WaitUntil(async () => await RequestsWithStatus("abort") == abortsBefore + 1,
            () => $"the request was not counted as aborted; {engine.Stats.GeneratedTokens - generatedBefore} tokens generated");
        Assert.True(await RequestsWithStatus("length") == lengthsBefore,
            $"generation ran to max_tokens ({engine.Stats.GeneratedTokens - generatedBefore} tokens) instead of ending with the client");
    }

    /// <summary>The served requests that ended with <paramref name="status"/>, from <c>/metrics</c>.</summary>
    private async Task<double> RequestsWithStatus(string status)
    {
        var prefix = $"elastic_requests_total{{status=\"{status}\"}} ";
        var line = (await Client.GetStringAsync("metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_AfterRequest_ExposeExpertTokensPerLayerExpertAndShard()
    {
        await PostJsonAsync("v1/completions", $$"""{"model":"{{_fixture.Model}}","prompt":"hello","max_tokens":2}""");

        var text = await Client.GetStringAsync("metrics");

        Assert.Contains("elastic_expert_tokens_total{layer=\"0\",expert=\"", text, StringComparison.Ordinal);
        Assert.Contains("shard=\"local\"", text, StringComparison.Ordinal);
        Assert.Contains("elastic_kv_cache_usage_perc ", text, StringComparison.Ordinal);
        Assert.Contains("elastic_num_requests_running ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletions_MaxTokensBeyondContext_Returns400()
    {
        using var response = await Client.PostAsync("v1/chat/completions",
            Sse.Json($$"""{"model":"{{_fixture.Model}}","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":40000}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Sse.ReadJsonAsync(response))["error"]!;
        Assert.Equal("context_length_exceeded", (string?)error["code"]);
        Assert.Equal("messages", (string?)error["param"]);
    }

    private ChatClient ChatClient() =>
        new OpenAIClient(new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(_fixture.Host.BaseAddress, "v1") })
            .GetChatClient(_fixture.Model);

    private int ExpectedPromptTokens(string system, string user) =>
        _fixture.Served.EncodeChat([new Elastic.Inference.Chat.ChatMessage("system", system), new Elastic.Inference.Chat.ChatMessage("user", user)]).Count;

    private async Task<JsonNode> PostJsonAsync(string path, string body)
    {
        using var response = await Client.PostAsync(path, Sse.Json(body));
        var json = await Sse.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }

    private static List<string> Texts(JsonNode completion) => [.. completion["choices"]!.AsArray().Select(c => (string)c!["text"]!)];

    private static Task WaitUntil(Func<bool> condition, Func<string>? describe = null) => WaitUntil(() => Task.FromResult(condition()), describe);

    private static async Task WaitUntil(Func<Task<bool>> condition, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s: " + describe?.Invoke());
            await Task.Delay(10);
        }
    }
}
