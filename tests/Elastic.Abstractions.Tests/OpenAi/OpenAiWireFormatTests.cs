using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elastic.Abstractions.OpenAi;

namespace Elastic.Abstractions.Tests.OpenAi;

/// <summary>Serialized DTOs compared with the literal examples of OpenAI's API reference.</summary>
[Trait("Category", "Unit")]
public sealed class OpenAiWireFormatTests
{
    [Fact]
    public void ErrorWriter_ModelNotFound_MatchesOpenAi()
    {
        var json = Encoding.UTF8.GetString(OpenAiErrorWriter.ToUtf8Json(OpenAiError.ModelNotFound("gpt-9")));

        AssertJson("""
            {"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":"model","code":"model_not_found"}}
            """, json);
    }

    [Fact]
    public void ErrorWriter_NullParamAndCode_AreWrittenAsNull()
    {
        var json = Encoding.UTF8.GetString(OpenAiErrorWriter.ToUtf8Json(OpenAiError.InvalidRequest("bad")));

        Assert.Equal("""{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}""", json);
    }

    [Theory]
    [InlineData(OpenAiErrorKind.InvalidRequest, 400, "invalid_request_error")]
    [InlineData(OpenAiErrorKind.Authentication, 401, "invalid_request_error")]
    [InlineData(OpenAiErrorKind.NotFound, 404, "invalid_request_error")]
    [InlineData(OpenAiErrorKind.RateLimit, 429, "requests")]
    [InlineData(OpenAiErrorKind.PayloadTooLarge, 413, "invalid_request_error")]
    [InlineData(OpenAiErrorKind.BadGateway, 502, "server_error")]
    [InlineData(OpenAiErrorKind.GatewayTimeout, 504, "server_error")]
    [InlineData(OpenAiErrorKind.Server, 500, "server_error")]
    [InlineData(OpenAiErrorKind.Overloaded, 503, "server_error")]
    public void Error_Kind_MapsToStatusAndType(OpenAiErrorKind kind, int status, string type)
    {
        var error = new OpenAiError(kind, "m");

        Assert.Equal(status, error.StatusCode);
        Assert.Equal(type, error.Type);
    }

    [Fact]
    public void CompletionResponse_MatchesOpenAiExample()
    {
        var response = new CompletionResponse
        {
            Id = "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
            Created = 1589478378,
            Model = "gpt-3.5-turbo-instruct",
            Choices = [new CompletionChoice { Text = "\n\nThis is indeed a test", Index = 0, FinishReason = "length" }],
            Usage = new Usage { PromptTokens = 5, CompletionTokens = 7 },
        };

        AssertJson("""
            {
              "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
              "object": "text_completion",
              "created": 1589478378,
              "model": "gpt-3.5-turbo-instruct",
              "choices": [{"text": "\n\nThis is indeed a test", "index": 0, "logprobs": null, "finish_reason": "length"}],
              "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
            }
            """, JsonSerializer.Serialize(response, OpenAiJsonContext.Default.CompletionResponse));
    }

    [Fact]
    public void CompletionLogprobs_MatchOpenAiLayout()
    {
        var choice = new CompletionChoice
        {
            Text = " a b",
            Index = 0,
            Logprobs = new CompletionLogprobs
            {
                Tokens = [" a", " b"],
                TokenLogprobs = [-0.5f, -1.25f],
                TopLogprobs = [new() { [" a"] = -0.5f, [" c"] = -2f }, new() { [" b"] = -1.25f }],
                TextOffset = [0, 2],
            },
        };
        var response = new CompletionResponse { Id = "cmpl-1", Created = 1, Model = "m", Choices = [choice] };

        AssertJson("""
            {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":" a b","index":0,
              "logprobs":{"tokens":[" a"," b"],"token_logprobs":[-0.5,-1.25],"top_logprobs":[{" a":-0.5," c":-2},{" b":-1.25}],"text_offset":[0,2]},
              "finish_reason":null}]}
            """, JsonSerializer.Serialize(response, OpenAiJsonContext.Default.CompletionResponse));
    }

    [Fact]
    public void ChatCompletionResponse_MatchesOpenAiExample()
    {
        var response = new ChatCompletionResponse
        {
            Id = "chatcmpl-123",
            Created = 1677652288,
            Model = "gpt-4o-mini",
            Choices = [new ChatChoice { Index = 0, Message = new ChatResponseMessage { Content = "\n\nHello there, how may I assist you today?" }, FinishReason = "stop" }],
            Usage = new Usage { PromptTokens = 9, CompletionTokens = 12 },
        };

        AssertJson("""
            {
              "id": "chatcmpl-123",
              "object": "chat.completion",
              "created": 1677652288,
              "model": "gpt-4o-mini",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "\n\nHello there, how may I assist you today?"}, "logprobs": null, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
            }
            """, JsonSerializer.Serialize(response, OpenAiJsonContext.Default.ChatCompletionResponse));
    }

    [Fact]
    public void ChatLogprobs_MatchOpenAiExample()
    {
        var logprobs = new ChatLogprobs
        {
            Content =
            [
                new ChatTokenLogprob
                {
                    Token = "Hello",
                    Logprob = -0.31725305f,
                    Bytes = [72, 101, 108, 108, 111],
                    TopLogprobs = [new ChatTopLogprob { Token = "Hello", Logprob = -0.31725305f, Bytes = [72, 101, 108, 108, 111] }],
                },
            ],
        };
        var response = new ChatCompletionResponse
        {
            Id = "chatcmpl-123",
            Created = 1702685778,
            Model = "gpt-4o-mini",
            Choices = [new ChatChoice { Index = 0, Message = new ChatResponseMessage { Content = "Hello" }, Logprobs = logprobs, FinishReason = "stop" }],
            Usage = new Usage { PromptTokens = 9, CompletionTokens = 1 },
        };

        var json = JsonNode.Parse(JsonSerializer.Serialize(response, OpenAiJsonContext.Default.ChatCompletionResponse))!;

        AssertJson("""
            {"content":[{"token":"Hello","logprob":-0.31725305,"bytes":[72,101,108,108,111],
              "top_logprobs":[{"token":"Hello","logprob":-0.31725305,"bytes":[72,101,108,108,111]}]}]}
            """, json["choices"]![0]!["logprobs"]!.ToJsonString());
    }

    [Fact]
    public void ChatChunks_MatchOpenAiStreamingExample()
    {
        ChatCompletionChunk Chunk(ChatDelta delta, string? finish) => new()
        {
            Id = "chatcmpl-123",
            Created = 1694268190,
            Model = "gpt-4o-mini",
            Choices = [new ChatChunkChoice { Index = 0, Delta = delta, FinishReason = finish }],
        };

        AssertJson("""
            {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}
            """, JsonSerializer.Serialize(Chunk(new ChatDelta { Role = "assistant", Content = "" }, null), OpenAiJsonContext.Default.ChatCompletionChunk));
        AssertJson("""
            {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}
            """, JsonSerializer.Serialize(Chunk(new ChatDelta { Content = "Hello" }, null), OpenAiJsonContext.Default.ChatCompletionChunk));
        AssertJson("""
            {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}
            """, JsonSerializer.Serialize(Chunk(new ChatDelta(), "stop"), OpenAiJsonContext.Default.ChatCompletionChunk));
    }

    [Fact]
    public void UsageChunk_HasEmptyChoicesAndUsage()
    {
        var chunk = new ChatCompletionChunk { Id = "chatcmpl-1", Created = 2, Model = "m", Choices = [], Usage = new Usage { PromptTokens = 3, CompletionTokens = 4 } };

        AssertJson("""
            {"id":"chatcmpl-1","object":"chat.completion.chunk","created":2,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}
            """, JsonSerializer.Serialize(chunk, OpenAiJsonContext.Default.ChatCompletionChunk));
    }

    [Fact]
    public void ModelList_MatchesOpenAiShape()
    {
        var list = new ModelList { Data = [new ModelCard { Id = "tiny", Created = 1686935002, MaxModelLen = 256 }] };

        AssertJson("""
            {"object":"list","data":[{"id":"tiny","object":"model","created":1686935002,"owned_by":"elastic","max_model_len":256}]}
            """, JsonSerializer.Serialize(list, OpenAiJsonContext.Default.ModelList));
    }

    [Fact]
    public void Sse_FramesEventsAndDone()
    {
        var buffer = new ArrayBufferWriter<byte>();
        OpenAiSse.WriteEvent(buffer, new ChatCompletionChunk { Id = "c", Created = 1, Model = "m", Choices = [] }, OpenAiJsonContext.Default.ChatCompletionChunk);
        OpenAiSse.WriteDone(buffer);

        Assert.Equal(
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[]}\n\ndata: [DONE]\n\n",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Sse_ErrorEvent_CarriesOpenAiError()
    {
        var buffer = new ArrayBufferWriter<byte>();
        OpenAiSse.WriteError(buffer, OpenAiError.Internal());

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.StartsWith("data: {\"error\":{", text, StringComparison.Ordinal);
        Assert.EndsWith("}}\n\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ids_HaveOpenAiPrefixes()
    {
        Assert.StartsWith("cmpl-", OpenAiIds.NewCompletionId(), StringComparison.Ordinal);
        Assert.StartsWith("chatcmpl-", OpenAiIds.NewChatCompletionId(), StringComparison.Ordinal);
        Assert.NotEqual(OpenAiIds.NewCompletionId(), OpenAiIds.NewCompletionId());
    }

    [Fact]
    public void TokenText_ValidUtf8_IsText_PartialCharacter_IsBytesForm()
    {
        Assert.Equal("héllo", OpenAiTokenText.FromBytes(Encoding.UTF8.GetBytes("héllo")));
        Assert.Equal("bytes:\\xe6\\x97", OpenAiTokenText.FromBytes([0xe6, 0x97]));
        Assert.Equal("token_id:42", OpenAiTokenText.FromTokenId(42));
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\nactual   {actual}");
}
