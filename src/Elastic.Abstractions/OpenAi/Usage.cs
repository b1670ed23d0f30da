namespace Elastic.Abstractions.OpenAi;

/// <summary>Token counts of a request: prompts counted once per prompt, completions over every choice.</summary>
public sealed record Usage
{
    public required int PromptTokens { get; init; }

    public required int CompletionTokens { get; init; }

    public int TotalTokens => PromptTokens + CompletionTokens;
}
