using Elastic.Inference.Chat;
using Elastic.Inference.Configuration;

namespace Elastic.Inference.Tests.Chat;

public sealed class RealTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "You are helpful."),
        new("user", "hi"),
        new("assistant", "hello"),
        new("user", "again"),
    ];

    private static readonly ChatMessage[] NoSystem = Conversation[1..];

    private static string Render(string template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos) =>
        ChatTemplate.Parse(template).Render(messages, addGenerationPrompt, bos, eos);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Render_MixtralTemplate_AlternatesInstTags(bool addGenerationPrompt) =>
        Assert.Equal(
            "<s>[INST] hi [/INST]hello</s>[INST] again [/INST]",
            Render(RealTemplates.MixtralOriginal, NoSystem, addGenerationPrompt, "<s>", "</s>"));

    [Fact]
    public void Render_MixtralTemplate_RaisesOnSystemMessage()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => Render(RealTemplates.MixtralOriginal, Conversation, false, "<s>", "</s>"));
        Assert.Equal(ChatTemplateErrorKind.Raised, ex.Kind);
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", ex.TemplateMessage);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Render_MixtralSystemTemplate_FoldsSystemIntoFirstTurn(bool addGenerationPrompt) =>
        Assert.Equal(
            "<s> [INST] You are helpful.\n\nhi [/INST] hello</s> [INST] again [/INST]",
            Render(RealTemplates.MixtralWithSystem, Conversation, addGenerationPrompt, "<s>", "</s>"));

    [Fact]
    public void Render_MixtralSystemTemplate_RejectsTwoUserTurnsInARow()
    {
        var ex = Assert.Throws<ChatTemplateException>(() =>
            Render(RealTemplates.MixtralWithSystem, [new("user", "a"), new("user", "b")], false, "<s>", "</s>"));
        Assert.StartsWith("After the optional system message", ex.TemplateMessage, StringComparison.Ordinal);
    }

    private const string Qwen3NoPrompt =
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nagain<|im_end|>\n";

    [Theory]
    [InlineData(false, Qwen3NoPrompt)]
    [InlineData(true, Qwen3NoPrompt + "<|im_start|>assistant\n")]
    public void Render_Qwen3Template_ProducesChatMl(bool addGenerationPrompt, string expected) =>
        Assert.Equal(expected, Render(RealTemplates.Qwen3, Conversation, addGenerationPrompt, null, "<|im_end|>"));

    [Fact]
    public void Render_Qwen3Template_EnableThinkingFalse_AddsEmptyThinkBlock()
    {
        var rendered = ChatTemplate.Parse(RealTemplates.Qwen3).Render(
            NoSystem, true, null, "<|im_end|>", new Dictionary<string, object?> { ["enable_thinking"] = false });
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Qwen3Template_KeepsOnlyTheLatestReasoning()
    {
        ChatMessage[] messages =
        [
            new("user", "q1"),
            new("assistant", "<think>\nold reasoning\n</think>\n\na1"),
            new("user", "q2"),
            new("assistant", "<think>\nnew reasoning\n</think>\n\na2"),
        ];
        Assert.Equal(
            "<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\nnew reasoning\n</think>\n\na2<|im_end|>\n",
            Render(RealTemplates.Qwen3, messages, false, null, "<|im_end|>"));
    }

    [Fact]
    public void Render_Qwen3Template_RendersToolsToolCallsAndResponses()
    {
        var tools = System.Text.Json.Nodes.JsonNode.Parse(
            """[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]""");
        var messages = System.Text.Json.Nodes.JsonNode.Parse("""
            [
              {"role": "user", "content": "weather?"},
              {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
              {"role": "tool", "content": "sunny"}
            ]
            """);
        var rendered = ChatTemplate.Parse(RealTemplates.Qwen3).RenderVariables(new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["tools"] = tools,
            ["add_generation_prompt"] = true,
        });
        Assert.Equal(
            "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}\n</tools>\n\n"
            + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nweather?<|im_end|>\n"
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n",
            rendered);
    }

    private const string ChatMlNoPrompt =
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nagain<|im_end|>\n";

    [Theory]
    [InlineData(false, ChatMlNoPrompt)]
    [InlineData(true, ChatMlNoPrompt + "<|im_start|>assistant\n")]
    public void Render_Qwen15MoeTemplate_ProducesChatMl(bool addGenerationPrompt, string expected) =>
        Assert.Equal(expected, Render(RealTemplates.Qwen15MoeChat, Conversation, addGenerationPrompt, null, "<|im_end|>"));

    [Fact]
    public void Render_Qwen15MoeTemplate_AddsDefaultSystemPrompt() =>
        Assert.StartsWith(
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n",
            Render(RealTemplates.Qwen15MoeChat, NoSystem, true, null, "<|im_end|>"),
            StringComparison.Ordinal);

    [Theory]
    [InlineData(false, "<|im_start|>user\nagain")]
    [InlineData(true, "<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n")]
    public void Render_EarlyQwen15Template_LeavesLastTurnOpenWithoutPrompt(bool addGenerationPrompt, string expectedEnd) =>
        Assert.EndsWith(expectedEnd, Render(RealTemplates.Qwen15ChatEarly, Conversation, addGenerationPrompt, null, "<|im_end|>"), StringComparison.Ordinal);

    private const string OlmoeNoPrompt = "<|system|>\nYou are helpful.\n<|user|>\nhi\n<|assistant|>\nhello<|endoftext|>\n<|user|>\nagain\n";

    [Theory]
    [InlineData(false, OlmoeNoPrompt)]
    [InlineData(true, OlmoeNoPrompt + "<|assistant|>\n")]
    public void Render_OlmoeTemplate_UsesRoleHeaders(bool addGenerationPrompt, string expected) =>
        Assert.Equal(expected, Render(RealTemplates.OlmoeInstruct, Conversation, addGenerationPrompt, null, "<|endoftext|>"));

    [Theory]
    [InlineData(ModelFamily.Qwen3Moe)]
    [InlineData(ModelFamily.Qwen2Moe)]
    [InlineData(ModelFamily.OlMoe)]
    [InlineData(ModelFamily.Mixtral)]
    public void Render_BuiltInTemplate_MatchesThePublishedTemplate(ModelFamily family)
    {
        var published = family switch
        {
            ModelFamily.Qwen3Moe => RealTemplates.Qwen3,
            ModelFamily.Qwen2Moe => RealTemplates.Qwen15MoeChat,
            ModelFamily.OlMoe => RealTemplates.OlmoeInstruct,
            _ => RealTemplates.MixtralWithSystem,
        };
        var (bos, eos) = BuiltInChatTemplates.DefaultSpecialTokens(family);
        foreach (var messages in new[] { Conversation, NoSystem })
        {
            foreach (var prompt in new[] { false, true })
            {
                Assert.Equal(
                    Render(published, messages, prompt, bos, eos),
                    Render(BuiltInChatTemplates.For(family), messages, prompt, bos, eos));
            }
        }
    }

    [Fact]
    public void Render_ChatMlBuiltIn_HasNoDefaultSystemPrompt() =>
        Assert.Equal(
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
            Render(BuiltInChatTemplates.ChatMl, [new("user", "hi")], true, null, null));
}
