using System.Net;
using System.Text.Json.Nodes;
using Elastic.Inference.Generation;
using Elastic.Worker.Metrics;

namespace Elastic.Worker.Tests.Api;

[Trait("Category", "Integration")]
public sealed class FakeBackendApiTests : IAsyncLifetime
{
    private readonly FakeGenerationBackend _backend = new();
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync(_backend);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Models_List_ReturnsServedModel()
    {
        var json = Sse.Parse(await Client.GetStringAsync("v1/models"));

        Assert.Equal("list", (string?)json["object"]);
        var card = Assert.Single(json["data"]!.AsArray())!;
        Assert.Equal(FakeGenerationBackend.Name, (string?)card["id"]);
        Assert.Equal("model", (string?)card["object"]);
        Assert.Equal(1_700_000_000, (long)card["created"]!);
        Assert.Equal(64, (int)card["max_model_len"]!);
    }

    [Fact]
    public async Task Completions_UnknownModel_Returns404ModelNotFound()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"gpt-9","prompt":"hi"}"""));

        await AssertError(response, HttpStatusCode.NotFound, "invalid_request_error", "model", "model_not_found");
    }

    [Fact]
    public async Task UnknownV1Route_Returns404OpenAiError()
    {
        using var response = await Client.PostAsync("v1/embeddings", Sse.Json("{}"));

        var error = await AssertError(response, HttpStatusCode.NotFound, "invalid_request_error", null, null);
        Assert.Equal("Invalid URL (POST /v1/embeddings)", (string?)error["message"]);
    }

    [Fact]
    public async Task Completions_MalformedJson_Returns400()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model": """));

        await AssertError(response, HttpStatusCode.BadRequest, "invalid_request_error", null, null);
    }

    [Fact]
    public async Task ChatCompletions_InvalidRole_Returns400NamingMessageField()
    {
        using var response = await Client.PostAsync("v1/chat/completions",
            Sse.Json("""{"model":"fake-model","messages":[{"role":"user","content":"a"},{"role":"robot","content":"b"}]}"""));

        await AssertError(response, HttpStatusCode.BadRequest, "invalid_request_error", "messages[1].role", null);
    }

    [Fact]
    public async Task Completions_PromptPlusMaxTokensBeyondContext_Returns400ContextLength()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"0123456789","max_tokens":60}"""));

        var error = await AssertError(response, HttpStatusCode.BadRequest, "invalid_request_error", "prompt", "context_length_exceeded");
        Assert.Contains("maximum context length is 64 tokens", (string?)error["message"], StringComparison.Ordinal);
        Assert.Contains("70 tokens (10 in the prompt, 60 in the completion)", (string?)error["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    public async Task Chat_LargestIntMaxTokens_Returns400ContextLength_NotAWrappedSum(string field)
    {
        // prompt + 2147483647 wraps to a negative int: it once passed the check and failed the engine's whole step.
        using var response = await Client.PostAsync("v1/chat/completions",
            Sse.Json($$$"""{"model":"fake-model","messages":[{"role":"user","content":"0123456789"}],"{{{field}}}":2147483647}"""));

        var error = await AssertError(response, HttpStatusCode.BadRequest, "invalid_request_error", "messages", "context_length_exceeded");
        Assert.Contains("in the completion", (string?)error["message"], StringComparison.Ordinal);
        Assert.DoesNotContain("requested -", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_TokenIdOutsideVocabulary_Returns400()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":[65,9999]}"""));

        await AssertError(response, HttpStatusCode.BadRequest, "invalid_request_error", "prompt", null);
    }

    [Fact]
    public async Task Completions_Overloaded_Returns503WithRetryAfter()
    {
        _backend.Overloaded = true;

        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"hi","n":2}"""));

        await AssertError(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "engine_overloaded");
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Completions_OneOfNRefused_CountsOne503_AndNoClientAborts()
    {
        // The second choice is refused, which cancels the first (started or not): one request failed, nobody left.
        _backend.OverloadedFromCall = 2;
        _backend.HoldAfterFirstToken = new TaskCompletionSource().Task;

        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"hi","n":2,"max_tokens":5}"""));

        await AssertError(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "engine_overloaded");
        var text = await Client.GetStringAsync("metrics");
        Assert.Contains("elastic_requests_total{status=\"503\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("elastic_requests_total{status=\"abort\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_ModelsGenerationConfig_FillsTheSamplingARequestLeavesOut()
    {
        _backend.Generation = new GenerationConfig { Temperature = 0.6f, TopP = 0.95f, TopK = 20 };

        using (await Client.PostAsync("v1/chat/completions", Sse.Json("""{"model":"fake-model","messages":[{"role":"user","content":"abc"}],"max_tokens":2}"""))) { }
        Assert.Equal((0.6f, 0.95f, 20), (_backend.LastSampling!.Temperature, _backend.LastSampling.TopP, _backend.LastSampling.TopK));

        using (await Client.PostAsync("v1/chat/completions", Sse.Json("""{"model":"fake-model","messages":[{"role":"user","content":"abc"}],"max_tokens":2,"temperature":0,"top_k":-1}"""))) { }
        Assert.Equal((0f, 0.95f), (_backend.LastSampling!.Temperature, _backend.LastSampling.TopP));
    }

    [Fact]
    public async Task ChatCompletions_StreamOverloaded_Returns503BeforeAnyEvent()
    {
        _backend.Overloaded = true;

        using var response = await Sse.PostStreamAsync(Client, "v1/chat/completions",
            """{"model":"fake-model","messages":[{"role":"user","content":"hi"}],"stream":true}""");

        await AssertError(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "engine_overloaded");
    }

    [Fact]
    public async Task Completions_BackendFault_Returns500WithoutInternals()
    {
        _backend.Fault = new InvalidOperationException("secret internal detail");

        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"hi"}"""));

        var error = await AssertError(response, HttpStatusCode.InternalServerError, "server_error", null, null);
        Assert.DoesNotContain("secret", error.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_DefaultMaxTokens_Is16()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"abc"}"""));
        var json = await Sse.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(16, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal("abcabcabcabcabca", (string?)json["choices"]![0]!["text"]);
        Assert.Equal("length", (string?)json["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Completions_BatchedPromptsTimesN_IndexesChoicesPerPromptThenChoice()
    {
        using var response = await Client.PostAsync("v1/completions",
            Sse.Json("""{"model":"fake-model","prompt":["abc","xyz"],"n":2,"max_tokens":3,"seed":0}"""));
        var json = await Sse.ReadJsonAsync(response);

        Assert.Equal("text_completion", (string?)json["object"]);
        Assert.StartsWith("cmpl-", (string?)json["id"], StringComparison.Ordinal);
        var choices = json["choices"]!.AsArray().Select(c => ((int)c!["index"]!, (string?)c["text"])).ToList();
        // Prompt p, choice j has index p * n + j and seed s + j.
        Assert.Equal([(0, "abc"), (1, "bca"), (2, "xyz"), (3, "yzx")], choices);
        Assert.Equal(6, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(12, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(18, (int)json["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task Completions_Echo_PrependsPrompt()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"ab","max_tokens":2,"echo":true}"""));
        var json = await Sse.ReadJsonAsync(response);

        Assert.Equal("abab", (string?)json["choices"]![0]!["text"]);
    }

    [Fact]
    public async Task Completions_Logprobs_HaveOpenAiLayout()
    {
        using var response = await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"xy","max_tokens":3,"logprobs":2}"""));
        var logprobs = (await Sse.ReadJsonAsync(response))["choices"]![0]!["logprobs"]!;

        Assert.Equal(["x", "y", "x"], logprobs["tokens"]!.AsArray().Select(t => (string?)t));
        Assert.All(logprobs["token_logprobs"]!.AsArray(), v => Assert.Equal(-0.5, (double)v!));
        Assert.Equal([0, 1, 2], logprobs["text_offset"]!.AsArray().Select(v => (int)v!));
        var top = logprobs["top_logprobs"]![0]!.AsObject();
        Assert.Equal(["a", "b", "x"], top.Select(p => p.Key).Order());
        Assert.Equal(-1, (double)top["a"]!);
    }

    [Fact]
    public async Task ChatCompletions_LogprobsAsTokenIds_NameTokensByIdWithBytes()
    {
        using var response = await Client.PostAsync("v1/chat/completions", Sse.Json(
            """{"model":"fake-model","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"logprobs":true,"top_logprobs":1,"return_tokens_as_token_ids":true}"""));
        var content = (await Sse.ReadJsonAsync(response))["choices"]![0]!["logprobs"]!["content"]!.AsArray();

        Assert.Equal(2, content.Count);
        Assert.Equal("token_id:104", (string?)content[0]!["token"]);
        Assert.Equal([104], content[0]!["bytes"]!.AsArray().Select(b => (int)b!));
        Assert.Equal(-0.5, (double)content[0]!["logprob"]!);
        var alternative = Assert.Single(content[0]!["top_logprobs"]!.AsArray())!;
        Assert.Equal("token_id:97", (string?)alternative["token"]);
        Assert.Equal([97], alternative["bytes"]!.AsArray().Select(b => (int)b!));
    }

    [Fact]
    public async Task Completions_StreamWithUsage_FramesChunksThenUsageThenDone()
    {
        using var response = await Sse.PostStreamAsync(Client, "v1/completions",
            """{"model":"fake-model","prompt":"abc","max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache);
        var events = await Sse.ReadAllAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(Sse.Parse).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string?)c["object"]));
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());
        var textChunks = chunks[..^1];
        Assert.Equal("abca", string.Concat(textChunks.Select(c => (string?)c["choices"]![0]!["text"])));
        Assert.Equal("length", (string?)textChunks[^1]["choices"]![0]!["finish_reason"]);
        Assert.All(textChunks[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(4, (int)usage["usage"]!["completion_tokens"]!);
        Assert.Equal(3, (int)usage["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task ChatCompletions_StreamWithUsage_RoleFirstThenContentThenFinishThenUsageAndDone()
    {
        using var response = await Sse.PostStreamAsync(Client, "v1/chat/completions",
            """{"model":"fake-model","messages":[{"role":"user","content":"hey"}],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}""");
        var events = await Sse.ReadAllAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(Sse.Parse).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.True(JsonNode.DeepEquals(Sse.Parse("""{"role":"assistant","content":""}"""), chunks[0]["choices"]![0]!["delta"]));
        Assert.Equal("hey", string.Concat(chunks[1..^2].Select(c => (string?)c["choices"]![0]!["delta"]!["content"])));
        var final = chunks[^2]["choices"]![0]!;
        Assert.Empty(final["delta"]!.AsObject());
        Assert.Equal("length", (string?)final["finish_reason"]);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(3, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        Assert.Equal(6, (int)chunks[^1]["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task ChatCompletions_StreamN2_EachChoiceHasRoleContentAndFinish()
    {
        using var response = await Sse.PostStreamAsync(Client, "v1/chat/completions",
            """{"model":"fake-model","messages":[{"role":"user","content":"abc"}],"max_tokens":3,"n":2,"seed":0,"stream":true}""");
        var chunks = (await Sse.ReadAllAsync(response))[..^1].Select(Sse.Parse).Select(c => c["choices"]![0]!).ToList();

        foreach (var (index, text) in new[] { (0, "abc"), (1, "bca") })
        {
            var mine = chunks.Where(c => (int)c["index"]! == index).ToList();
            Assert.Equal("assistant", (string?)mine[0]["delta"]!["role"]);
            Assert.Equal(text, string.Concat(mine.Select(c => (string?)c["delta"]!["content"])));
            Assert.Equal("length", (string?)mine[^1]["finish_reason"]);
        }
    }

    [Fact]
    public async Task ChatCompletions_Stream_SendsEachTokenBeforeTheNextExists()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend.HoldAfterFirstToken = release.Task;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await Sse.PostStreamAsync(Client, "v1/chat/completions",
            """{"model":"fake-model","messages":[{"role":"user","content":"ab"}],"max_tokens":2,"stream":true}""", timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        // The backend holds the second token until the first has reached the client: buffering would deadlock here.
        Assert.Equal("assistant", (string?)Sse.Parse((await Sse.ReadEventAsync(reader, timeout.Token))!)["choices"]![0]!["delta"]!["role"]);
        Assert.Equal("a", (string?)Sse.Parse((await Sse.ReadEventAsync(reader, timeout.Token))!)["choices"]![0]!["delta"]!["content"]);
        release.SetResult();
        Assert.Equal("b", (string?)Sse.Parse((await Sse.ReadEventAsync(reader, timeout.Token))!)["choices"]![0]!["delta"]!["content"]);
    }

    [Fact]
    public async Task Metrics_AfterRequests_ExposeServingMetricNames()
    {
        using (await Client.PostAsync("v1/completions", Sse.Json("""{"model":"fake-model","prompt":"abc","max_tokens":3}"""))) { }
        using (await Client.PostAsync("v1/completions", Sse.Json("""{"model":"nope","prompt":"abc"}"""))) { }

        var text = await Client.GetStringAsync("metrics");

        foreach (var name in new[]
        {
            ServingMetricNames.TimeToFirstToken, ServingMetricNames.InterTokenLatency, ServingMetricNames.EndToEndLatency,
            ServingMetricNames.QueueTime, ServingMetricNames.PromptTokens, ServingMetricNames.GenerationTokens,
            ServingMetricNames.RequestsRunning, ServingMetricNames.RequestsWaiting, ServingMetricNames.KvCacheUsage,
            ServingMetricNames.Preemptions,
        })
        {
            Assert.Contains("# TYPE " + name, text, StringComparison.Ordinal);
        }

        Assert.Contains("elastic_requests_total{status=\"length\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("elastic_requests_total{status=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("elastic_generation_tokens_total 3", text, StringComparison.Ordinal);
        Assert.Contains("elastic_time_to_first_token_seconds_count 1", text, StringComparison.Ordinal);
        Assert.Contains("elastic_inter_token_latency_seconds_count 2", text, StringComparison.Ordinal);
    }

    private static async Task<JsonNode> AssertError(HttpResponseMessage response, HttpStatusCode status, string type, string? param, string? code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await Sse.ReadJsonAsync(response))["error"]!;
        Assert.Equal(type, (string?)error["type"]);
        Assert.Equal(param, (string?)error["param"]);
        Assert.Equal(code, (string?)error["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        return error;
    }
}
