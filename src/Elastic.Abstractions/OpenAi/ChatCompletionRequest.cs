namespace Elastic.Abstractions.OpenAi;

/// <summary>A validated <c>POST /v1/chat/completions</c> body.</summary>
public sealed record ChatCompletionRequest
{
    public required string Model { get; init; }

    public required IReadOnlyList<ChatMessageInput> Messages { get; init; }

    /// <summary>max_completion_tokens, else max_tokens; null: the rest of the context.</summary>
    public int? MaxTokens { get; init; }

    public bool Logprobs { get; init; }

    /// <summary>Alternatives per token (0..20) when <see cref="Logprobs"/> is set.</summary>
    public int? TopLogprobs { get; init; }

    public OpenAiSamplingOptions Sampling { get; init; } = new();

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public string? User { get; init; }

    public bool ReturnTokensAsTokenIds { get; init; }
}
