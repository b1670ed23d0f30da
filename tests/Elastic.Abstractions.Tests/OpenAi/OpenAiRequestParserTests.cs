using System.Text;
using Elastic.Abstractions.OpenAi;

namespace Elastic.Abstractions.Tests.OpenAi;

[Trait("Category", "Unit")]
public sealed class OpenAiRequestParserTests
{
    [Fact]
    public void ParseCompletion_FullBody_ReadsEveryField()
    {
        var request = ParseCompletion("""
            {"model":"m","prompt":"hi","max_tokens":5,"temperature":0.5,"top_p":0.9,"top_k":40,"seed":7,"stop":["\n","END"],
             "n":2,"presence_penalty":0.1,"frequency_penalty":-0.2,"logprobs":3,"stream":true,"stream_options":{"include_usage":true},
             "user":"u1","return_tokens_as_token_ids":true,"ignore_eos":true,"stop_token_ids":[5],"some_future_field":{"x":1}}
            """);

        Assert.Equal("m", request.Model);
        Assert.Equal("hi", Assert.Single(request.Prompts).Text);
        Assert.Equal(5, request.MaxTokens);
        Assert.Equal(0.5, request.Sampling.Temperature);
        Assert.Equal(0.9, request.Sampling.TopP);
        Assert.Equal(40, request.Sampling.TopK);
        Assert.Equal(7, request.Sampling.Seed);
        Assert.Equal(["\n", "END"], request.Sampling.Stop);
        Assert.Equal(2, request.Sampling.N);
        Assert.Equal(0.1, request.Sampling.PresencePenalty);
        Assert.Equal(-0.2, request.Sampling.FrequencyPenalty);
        Assert.Equal(3, request.Logprobs);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
        Assert.Equal("u1", request.User);
        Assert.True(request.ReturnTokensAsTokenIds);
        Assert.True(request.Sampling.IgnoreEos);
        Assert.Equal([5], request.Sampling.StopTokenIds);
    }

    [Fact]
    public void ParseCompletion_Minimal_LeavesDefaultsToServer()
    {
        var request = ParseCompletion("""{"model":"m","prompt":"hi","temperature":null}""");

        Assert.Null(request.MaxTokens);
        Assert.Null(request.Sampling.Temperature);
        Assert.Null(request.Logprobs);
        Assert.Equal(1, request.Sampling.N);
        Assert.Empty(request.Sampling.Stop);
        Assert.False(request.Stream);
    }

    [Theory]
    [InlineData("""["a","b"]""", 2, false)]
    [InlineData("""[1,2,3]""", 1, true)]
    [InlineData("""[[1,2],[3]]""", 2, true)]
    public void ParseCompletion_PromptForms_AreAllAccepted(string prompt, int count, bool tokens)
    {
        var request = ParseCompletion($$"""{"model":"m","prompt":{{prompt}}}""");

        Assert.Equal(count, request.Prompts.Count);
        Assert.All(request.Prompts, p => Assert.Equal(tokens, p.TokenIds is not null));
    }

    [Fact]
    public void ParseCompletion_SingleStopString_BecomesList()
    {
        Assert.Equal(["x"], ParseCompletion("""{"model":"m","prompt":"p","stop":"x"}""").Sampling.Stop);
    }

    [Theory]
    [InlineData("""{"model":"m","prompt":"p",""", null)]
    [InlineData("""[1,2]""", null)]
    [InlineData("""{"prompt":"p"}""", "model")]
    [InlineData("""{"model":3,"prompt":"p"}""", "model")]
    [InlineData("""{"model":"m"}""", "prompt")]
    [InlineData("""{"model":"m","prompt":[]}""", "prompt")]
    [InlineData("""{"model":"m","prompt":{"a":1}}""", "prompt")]
    [InlineData("""{"model":"m","prompt":["a",1]}""", "prompt[1]")]
    [InlineData("""{"model":"m","prompt":[[1],[]]}""", "prompt[1]")]
    [InlineData("""{"model":"m","prompt":[1,-2]}""", "prompt[1]")]
    [InlineData("""{"model":"m","prompt":"p","temperature":2.5}""", "temperature")]
    [InlineData("""{"model":"m","prompt":"p","temperature":-0.1}""", "temperature")]
    [InlineData("""{"model":"m","prompt":"p","temperature":"hot"}""", "temperature")]
    [InlineData("""{"model":"m","prompt":"p","top_p":0}""", "top_p")]
    [InlineData("""{"model":"m","prompt":"p","top_p":1.5}""", "top_p")]
    [InlineData("""{"model":"m","prompt":"p","top_k":-2}""", "top_k")]
    [InlineData("""{"model":"m","prompt":"p","top_k":1.5}""", "top_k")]
    [InlineData("""{"model":"m","prompt":"p","n":0}""", "n")]
    [InlineData("""{"model":"m","prompt":"p","n":17}""", "n")]
    [InlineData("""{"model":"m","prompt":"p","max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"m","prompt":"p","max_tokens":"5"}""", "max_tokens")]
    [InlineData("""{"model":"m","prompt":"p","presence_penalty":2.1}""", "presence_penalty")]
    [InlineData("""{"model":"m","prompt":"p","frequency_penalty":-3}""", "frequency_penalty")]
    [InlineData("""{"model":"m","prompt":"p","logprobs":21}""", "logprobs")]
    [InlineData("""{"model":"m","prompt":"p","logprobs":true}""", "logprobs")]
    [InlineData("""{"model":"m","prompt":"p","stop":["a","b","c","d","e"]}""", "stop")]
    [InlineData("""{"model":"m","prompt":"p","stop":[1]}""", "stop[0]")]
    [InlineData("""{"model":"m","prompt":"p","stop":""}""", "stop")]
    [InlineData("""{"model":"m","prompt":"p","seed":1.5}""", "seed")]
    [InlineData("""{"model":"m","prompt":"p","stream":"yes"}""", "stream")]
    [InlineData("""{"model":"m","prompt":"p","stream_options":{"include_usage":true}}""", "stream_options")]
    [InlineData("""{"model":"m","prompt":"p","stream":true,"stream_options":{"include_usage":1}}""", "stream_options.include_usage")]
    [InlineData("""{"model":"m","prompt":"p","echo":true,"logprobs":1}""", "echo")]
    [InlineData("""{"model":"m","prompt":["a","b","c","d","e","f","g","h","i"],"n":16}""", "prompt")]
    public void ParseCompletion_InvalidBody_Returns400NamingParam(string body, string? param)
    {
        Assert.False(OpenAiRequestParser.TryParseCompletion(Encoding.UTF8.GetBytes(body), out _, out var error));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal(param, error.Param);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void ParseCompletion_OutOfRange_MessageSaysWhatWasExpected()
    {
        Assert.False(OpenAiRequestParser.TryParseCompletion("""{"model":"m","prompt":"p","temperature":3}"""u8.ToArray(), out _, out var error));

        Assert.Equal("Invalid 'temperature': number above maximum value. Expected a value <= 2, but got 3 instead.", error.Message);
    }

    [Fact]
    public void ParseChat_FullBody_ReadsMessagesAndChatFields()
    {
        var request = ParseChat("""
            {"model":"m","messages":[
               {"role":"developer","content":"be brief"},
               {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"name":"x"},
               {"role":"assistant","content":null},
               {"role":"user","content":"c"}],
             "max_tokens":9,"max_completion_tokens":7,"logprobs":true,"top_logprobs":2}
            """);

        Assert.Equal(
            [new ChatMessageInput("system", "be brief"), new ChatMessageInput("user", "a\nb"), new ChatMessageInput("assistant", ""), new ChatMessageInput("user", "c")],
            request.Messages);
        Assert.Equal(7, request.MaxTokens);
        Assert.True(request.Logprobs);
        Assert.Equal(2, request.TopLogprobs);
    }

    [Fact]
    public void ParseChat_LogprobsWithoutTop_MeansZeroAlternatives()
    {
        var request = ParseChat("""{"model":"m","messages":[{"role":"user","content":"c"}],"logprobs":true}""");

        Assert.Equal(0, request.TopLogprobs);
        Assert.Null(ParseChat("""{"model":"m","messages":[{"role":"user","content":"c"}]}""").TopLogprobs);
    }

    [Theory]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    [InlineData("""{"model":"m","messages":"hi"}""", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"},{"role":"robot","content":"b"}]}""", "messages[1].role")]
    [InlineData("""{"model":"m","messages":[{"content":"a"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user"}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages[0].content[0].text")]
    [InlineData("""{"model":"m","messages":[3]}""", "messages[0]")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"logprobs":1}""", "logprobs")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"top_logprobs":2}""", "top_logprobs")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"logprobs":true,"top_logprobs":21}""", "top_logprobs")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"max_completion_tokens":0}""", "max_completion_tokens")]
    public void ParseChat_InvalidBody_Returns400NamingParam(string body, string param)
    {
        Assert.False(OpenAiRequestParser.TryParseChatCompletion(Encoding.UTF8.GetBytes(body), out _, out var error));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal(param, error.Param);
    }

    [Fact]
    public void ParseChat_UnknownRole_MessageListsSupportedRoles()
    {
        Assert.False(OpenAiRequestParser.TryParseChatCompletion("""{"model":"m","messages":[{"role":"robot","content":"b"}]}"""u8.ToArray(), out _, out var error));

        Assert.Contains("'robot'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'developer'", error.Message, StringComparison.Ordinal);
    }

    private static CompletionRequest ParseCompletion(string json)
    {
        Assert.True(OpenAiRequestParser.TryParseCompletion(Encoding.UTF8.GetBytes(json), out var request, out var error), error?.Message);
        return request;
    }

    private static ChatCompletionRequest ParseChat(string json)
    {
        Assert.True(OpenAiRequestParser.TryParseChatCompletion(Encoding.UTF8.GetBytes(json), out var request, out var error), error?.Message);
        return request;
    }
}
