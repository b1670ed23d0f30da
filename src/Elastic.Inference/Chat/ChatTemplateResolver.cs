using System.Text.Json;
using System.Text.Json.Nodes;
using Elastic.Inference.Configuration;
using Microsoft.Extensions.Logging;

namespace Elastic.Inference.Chat;

/// <summary>Picks the chat template for a checkpoint: its own if it parses and renders, else the family's built-in.</summary>
public static class ChatTemplateResolver
{
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string ChatTemplateJinjaFile = "chat_template.jinja";

    private static readonly ChatMessage[] TrialConversation = [new("user", "Hello")];

    /// <summary>
    /// Resolves the template for <paramref name="checkpointDir"/>. Candidates, in transformers' order of precedence:
    /// <c>chat_template.jinja</c>, then <c>chat_template</c> in <c>tokenizer_config.json</c> (a string, or a list of
    /// <c>{name, template}</c> of which <c>default</c> is used). Each must parse and render a one-message trial conversation.
    /// </summary>
    /// <param name="checkpointDir">The Hugging Face checkpoint directory.</param>
    /// <param name="family">The model family, which selects the built-in fallback.</param>
    /// <param name="logger">Receives which template was chosen and why.</param>
    public static ResolvedChatTemplate Resolve(string checkpointDir, ModelFamily family, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(checkpointDir);
        ArgumentNullException.ThrowIfNull(logger);

        var config = ReadTokenizerConfig(checkpointDir, logger);
        var (defaultBos, defaultEos) = BuiltInChatTemplates.DefaultSpecialTokens(family);
        var bos = config is null ? defaultBos : ReadToken(config, "bos_token");
        var eos = config is null ? defaultEos : ReadToken(config, "eos_token");

        var candidates = Candidates(checkpointDir, config, logger);
        string reason;
        if (candidates.Count == 0)
        {
            Log.NoCheckpointChatTemplate(logger, checkpointDir);
            reason = "the checkpoint has no chat template";
        }
        else
        {
            foreach (var (source, text) in candidates)
            {
                if (TryAccept(text, bos, eos, out var template, out var rejection))
                {
                    Log.CheckpointChatTemplateUsed(logger, source, checkpointDir);
                    return new ResolvedChatTemplate
                    {
                        Template = template,
                        Origin = ChatTemplateOrigin.Checkpoint,
                        SourceName = source,
                        BosToken = bos,
                        EosToken = eos,
                    };
                }

                Log.CheckpointChatTemplateRejected(logger, source, checkpointDir, rejection);
            }

            reason = "the checkpoint's chat template could not be used";
        }

        Log.BuiltInChatTemplateUsed(logger, family.ToString(), reason);
        return new ResolvedChatTemplate
        {
            Template = ChatTemplate.Parse(BuiltInChatTemplates.For(family)),
            Origin = ChatTemplateOrigin.BuiltIn,
            SourceName = $"built-in {family}",
            BosToken = bos ?? defaultBos,
            EosToken = eos ?? defaultEos,
        };
    }

    private static List<(string Source, string Text)> Candidates(string dir, JsonObject? config, ILogger logger)
    {
        var candidates = new List<(string, string)>();
        var jinjaPath = Path.Combine(dir, ChatTemplateJinjaFile);
        if (File.Exists(jinjaPath))
        {
            try
            {
                candidates.Add((ChatTemplateJinjaFile, File.ReadAllText(jinjaPath)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.TokenizerConfigUnreadable(logger, jinjaPath, ex.Message);
            }
        }

        switch (config?["chat_template"])
        {
            case JsonValue value when value.TryGetValue<string>(out var text):
                candidates.Add((TokenizerConfigFile, text));
                break;
            case JsonArray named:
                // Multiple named templates (e.g. "default", "tool_use"): transformers uses "default" unless told otherwise.
                var chosen = named.OfType<JsonObject>()
                    .FirstOrDefault(t => t["name"] is JsonValue n && n.TryGetValue<string>(out var name) && name == "default");
                if (chosen?["template"] is JsonValue tv && tv.TryGetValue<string>(out var defaultText))
                {
                    candidates.Add(($"{TokenizerConfigFile} (template 'default')", defaultText));
                }
                else
                {
                    Log.CheckpointChatTemplateRejected(logger, TokenizerConfigFile, dir, "chat_template is a list without a 'default' entry");
                }

                break;
        }

        return candidates;
    }

    private static bool TryAccept(string text, string? bos, string? eos, out ChatTemplate template, out string rejection)
    {
        template = null!;
        try
        {
            template = ChatTemplate.Parse(text);
            var rendered = template.Render(TrialConversation, addGenerationPrompt: true, bos, eos);
            if (!rendered.Contains(TrialConversation[0].Content, StringComparison.Ordinal))
            {
                rejection = "a trial render did not contain the user's message";
                return false;
            }

            rejection = string.Empty;
            return true;
        }
        catch (ChatTemplateException ex)
        {
            rejection = ex.Message;
            return false;
        }
    }

    private static JsonObject? ReadTokenizerConfig(string dir, ILogger logger)
    {
        var path = Path.Combine(dir, TokenizerConfigFile);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.TokenizerConfigUnreadable(logger, path, ex.Message);
            return null;
        }
    }

    // Special tokens are either a plain string or an AddedToken object {"content": "...", ...}.
    private static string? ReadToken(JsonObject config, string key) => config[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var content) => content,
        _ => null,
    };
}
