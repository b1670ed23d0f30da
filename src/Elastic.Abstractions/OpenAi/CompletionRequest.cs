namespace Elastic.Abstractions.OpenAi;

/// <summary>A validated <c>POST /v1/completions</c> body.</summary>
public sealed record CompletionRequest
{
    public required string Model { get; init; }

    /// <summary>One or more prompts; each yields <see cref="OpenAiSamplingOptions.N"/> choices.</summary>
    public required IReadOnlyList<PromptInput> Prompts { get; init; }

    /// <summary>null: the server's default (OpenAI's 16, capped by the context).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>null: none; N: the sampled token's log-probability plus the N most likely alternatives (0..20).</summary>
    public int? Logprobs { get; init; }

    /// <summary>Prepend the prompt to each choice's text.</summary>
    public bool Echo { get; init; }

    public OpenAiSamplingOptions Sampling { get; init; } = new();

    public bool Stream { get; init; }

    /// <summary>stream_options.include_usage: a final chunk with usage and no choices.</summary>
    public bool IncludeUsage { get; init; }

    public string? User { get; init; }

    /// <summary>vLLM's extension: render tokens in logprobs as <c>token_id:N</c>.</summary>
    public bool ReturnTokensAsTokenIds { get; init; }
}
