namespace Elastic.Inference.Chat;

/// <summary>Where a resolved chat template came from.</summary>
public enum ChatTemplateOrigin
{
    /// <summary>The checkpoint's <c>chat_template.jinja</c> or <c>tokenizer_config.json</c>.</summary>
    Checkpoint,

    /// <summary>The engine's built-in template for the model family.</summary>
    BuiltIn,
}

/// <summary>The chat template chosen for a checkpoint, with the special-token strings it is rendered with.</summary>
public sealed class ResolvedChatTemplate
{
    public required ChatTemplate Template { get; init; }

    public required ChatTemplateOrigin Origin { get; init; }

    /// <summary>Human-readable source, e.g. <c>chat_template.jinja</c>, <c>tokenizer_config.json</c> or <c>built-in Mixtral</c>.</summary>
    public required string SourceName { get; init; }

    /// <summary>The <c>bos_token</c> string from tokenizer_config.json (or the family default), null if none.</summary>
    public string? BosToken { get; init; }

    /// <summary>The <c>eos_token</c> string from tokenizer_config.json (or the family default), null if none.</summary>
    public string? EosToken { get; init; }

    /// <summary>Renders <paramref name="messages"/> with this template and its special tokens.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">Append the assistant-turn header.</param>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        Template.Render(messages, addGenerationPrompt, BosToken, EosToken);
}
