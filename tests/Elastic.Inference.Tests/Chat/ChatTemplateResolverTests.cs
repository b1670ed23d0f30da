using System.Text.Json.Nodes;
using Elastic.Inference.Chat;
using Elastic.Inference.Configuration;
using Microsoft.Extensions.Logging;

namespace Elastic.Inference.Tests.Chat;

public sealed class ChatTemplateResolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("elastic-chat-").FullName;
    private readonly CapturingLogger _logger = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteConfig(JsonObject config) => File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), config.ToJsonString());

    [Fact]
    public void Resolve_TokenizerConfigTemplate_IsUsedWithItsSpecialTokens()
    {
        WriteConfig(new JsonObject
        {
            ["chat_template"] = RealTemplates.MixtralOriginal,
            ["bos_token"] = new JsonObject { ["content"] = "<s>", ["lstrip"] = false },
            ["eos_token"] = "</s>",
        });

        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.Mixtral, _logger);

        Assert.Equal(ChatTemplateOrigin.Checkpoint, resolved.Origin);
        Assert.Equal("tokenizer_config.json", resolved.SourceName);
        Assert.Equal("<s>", resolved.BosToken);
        Assert.Equal("</s>", resolved.EosToken);
        Assert.Equal("<s>[INST] hi [/INST]", resolved.Render([new("user", "hi")], addGenerationPrompt: true));
        Assert.Contains(_logger.Entries, e => e.EventId == 1100);
    }

    [Fact]
    public void Resolve_NamedTemplateList_PicksDefault()
    {
        WriteConfig(new JsonObject
        {
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "tool_use", ["template"] = "{{ raise_exception('not this one') }}" },
                new JsonObject { ["name"] = "default", ["template"] = RealTemplates.Qwen15MoeChat }),
            ["eos_token"] = "<|im_end|>",
        });

        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.Qwen2Moe, _logger);

        Assert.Equal(ChatTemplateOrigin.Checkpoint, resolved.Origin);
        Assert.Contains("default", resolved.SourceName, StringComparison.Ordinal);
        Assert.Null(resolved.BosToken);
    }

    [Fact]
    public void Resolve_ChatTemplateJinjaFile_TakesPrecedence()
    {
        WriteConfig(new JsonObject { ["chat_template"] = RealTemplates.Qwen15MoeChat, ["eos_token"] = "<|im_end|>" });
        File.WriteAllText(Path.Combine(_dir, "chat_template.jinja"), RealTemplates.Qwen3);

        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.Qwen3Moe, _logger);

        Assert.Equal("chat_template.jinja", resolved.SourceName);
        Assert.Equal(RealTemplates.Qwen3, resolved.Template.Source);
    }

    [Fact]
    public void Resolve_MissingTemplate_FallsBackToBuiltInAndLogsWhy()
    {
        WriteConfig(new JsonObject { ["eos_token"] = "<|endoftext|>" });

        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.OlMoe, _logger);

        Assert.Equal(ChatTemplateOrigin.BuiltIn, resolved.Origin);
        Assert.Equal(BuiltInChatTemplates.OlMoe, resolved.Template.Source);
        Assert.Equal("<|endoftext|>", resolved.EosToken);
        Assert.Contains(_logger.Entries, e => e.EventId == 1102);
        Assert.Contains(_logger.Entries, e => e.EventId == 1103 && e.Message.Contains("OlMoe", StringComparison.Ordinal));
    }

    [Fact]
    public void Resolve_NoTokenizerConfig_UsesFamilyDefaultTokens()
    {
        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.Mixtral, _logger);

        Assert.Equal(ChatTemplateOrigin.BuiltIn, resolved.Origin);
        Assert.Equal("<s> [INST] hi [/INST]", resolved.Render([new("user", "hi")], addGenerationPrompt: true));
    }

    [Theory]
    [InlineData("{% if messages %}unterminated")]
    [InlineData("{{ messages | no_such_filter }}")]
    [InlineData("{{ raise_exception('I refuse') }}")]
    [InlineData("constant text only")]
    public void Resolve_BrokenTemplate_FallsBackToBuiltInAndLogsRejection(string template)
    {
        WriteConfig(new JsonObject { ["chat_template"] = template, ["eos_token"] = "<|im_end|>" });

        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.Qwen3Moe, _logger);

        Assert.Equal(ChatTemplateOrigin.BuiltIn, resolved.Origin);
        Assert.Equal("built-in Qwen3Moe", resolved.SourceName);
        var rejection = Assert.Single(_logger.Entries, e => e.EventId == 1101);
        Assert.Equal(LogLevel.Warning, rejection.Level);
        Assert.Contains(_logger.Entries, e => e.EventId == 1103);
    }

    [Fact]
    public void Resolve_UnreadableTokenizerConfig_IsLoggedAndIgnored()
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), "{ not json");

        var resolved = ChatTemplateResolver.Resolve(_dir, ModelFamily.Qwen2Moe, _logger);

        Assert.Equal(ChatTemplateOrigin.BuiltIn, resolved.Origin);
        Assert.Contains(_logger.Entries, e => e.EventId == 1104);
    }
}
