using Elastic.Inference.Chat.Jinja;

namespace Elastic.Inference.Chat;

/// <summary>A parsed Hugging Face chat template (a Jinja2 subset) that renders conversations into prompt text.</summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<Stmt> _body;

    private ChatTemplate(string source, IReadOnlyList<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    /// <summary>The Jinja source this template was parsed from.</summary>
    public string Source { get; }

    /// <summary>
    /// Parses <paramref name="source"/> with the environment transformers uses for chat templates
    /// (<c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>).
    /// </summary>
    /// <exception cref="ChatTemplateException">The source does not parse; the message names line and column.</exception>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tokens = Lexer.Tokenize(source, trimBlocks: true, lstripBlocks: true);
        return new ChatTemplate(source, Parser.Parse(tokens));
    }

    /// <summary>Renders a conversation the way <c>tokenizer.apply_chat_template(messages, tokenize=False, ...)</c> does.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">Append the assistant-turn header so the model answers next.</param>
    /// <param name="bosToken">The tokenizer's BOS string; null leaves <c>bos_token</c> undefined (renders empty).</param>
    /// <param name="eosToken">The tokenizer's EOS string; null leaves <c>eos_token</c> undefined.</param>
    /// <exception cref="ChatTemplateException">The template failed or refused the conversation via <c>raise_exception</c>.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Render(messages, addGenerationPrompt, bosToken, eosToken, extraVariables: null);
    }

    /// <summary>Like <see cref="Render(IReadOnlyList{ChatMessage}, bool, string?, string?)"/>, plus template kwargs such as <c>enable_thinking</c> or <c>tools</c>.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">Append the assistant-turn header.</param>
    /// <param name="bosToken">The BOS string, or null.</param>
    /// <param name="eosToken">The EOS string, or null.</param>
    /// <param name="extraVariables">Extra variables (strings, numbers, bools, lists, dictionaries, System.Text.Json nodes); they override the defaults.</param>
    public string Render(
        IReadOnlyList<ChatMessage> messages,
        bool addGenerationPrompt,
        string? bosToken,
        string? eosToken,
        IReadOnlyDictionary<string, object?>? extraVariables)
    {
        ArgumentNullException.ThrowIfNull(messages);

        // transformers passes tools=None and documents=None when the caller gives none.
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => (object?)m).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        if (bosToken is not null)
        {
            variables["bos_token"] = bosToken;
        }

        if (eosToken is not null)
        {
            variables["eos_token"] = eosToken;
        }

        if (extraVariables is not null)
        {
            foreach (var (name, value) in extraVariables)
            {
                variables[name] = value;
            }
        }

        return RenderVariables(variables);
    }

    /// <summary>Renders with an arbitrary set of top-level variables.</summary>
    /// <param name="variables">Template variables; values are converted as for <c>extraVariables</c>.</param>
    public string RenderVariables(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return Evaluator.Render(_body, variables, () => DateTimeOffset.Now);
    }
}
