using System.Text.Json.Serialization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>A <c>text_completion</c> object: the whole response, or one streamed chunk of it.</summary>
public sealed record CompletionResponse
{
    public const string ObjectType = "text_completion";

    public required string Id { get; init; }

    /// <summary>OpenAI's <c>object</c> field.</summary>
    [JsonPropertyName("object")]
    public string ObjectKind { get; init; } = ObjectType;

    /// <summary>Unix seconds.</summary>
    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<CompletionChoice> Choices { get; init; }

    /// <summary>Absent from streamed chunks except the usage chunk.</summary>
    public Usage? Usage { get; init; }
}

/// <summary>One choice of a completion; <c>logprobs</c> and <c>finish_reason</c> are written as null, not left out.</summary>
public sealed record CompletionChoice
{
    public required string Text { get; init; }

    public required int Index { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public CompletionLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}

/// <summary>The legacy completions log-probability layout: parallel lists, one entry per token.</summary>
public sealed record CompletionLogprobs
{
    public required IReadOnlyList<string> Tokens { get; init; }

    public required IReadOnlyList<float> TokenLogprobs { get; init; }

    /// <summary>Per token: the most likely alternatives (and the sampled token), token text → log-probability.</summary>
    public required IReadOnlyList<Dictionary<string, float>> TopLogprobs { get; init; }

    /// <summary>Per token: its character offset in the choice's text.</summary>
    public required IReadOnlyList<int> TextOffset { get; init; }
}
