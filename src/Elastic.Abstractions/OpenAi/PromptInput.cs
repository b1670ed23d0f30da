namespace Elastic.Abstractions.OpenAi;

/// <summary>One prompt of a completions request: text to tokenize, or token ids sent as they are.</summary>
public sealed record PromptInput
{
    private PromptInput(string? text, IReadOnlyList<int>? tokenIds)
    {
        Text = text;
        TokenIds = tokenIds;
    }

    /// <summary>The prompt as text, or null when it came as token ids.</summary>
    public string? Text { get; }

    /// <summary>The prompt as token ids, or null when it came as text.</summary>
    public IReadOnlyList<int>? TokenIds { get; }

    public static PromptInput FromText(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), null);

    public static PromptInput FromTokenIds(IReadOnlyList<int> tokenIds) => new(null, tokenIds ?? throw new ArgumentNullException(nameof(tokenIds)));
}
