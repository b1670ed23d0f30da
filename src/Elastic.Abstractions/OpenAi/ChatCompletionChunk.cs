using System.Text.Json.Serialization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>A streamed <c>chat.completion.chunk</c>: role first, then content deltas, then an empty delta with finish_reason.</summary>
public sealed record ChatCompletionChunk
{
    public const string ObjectType = "chat.completion.chunk";

    public required string Id { get; init; }

    /// <summary>OpenAI's <c>object</c> field.</summary>
    [JsonPropertyName("object")]
    public string ObjectKind { get; init; } = ObjectType;

    public required long Created { get; init; }

    public required string Model { get; init; }

    /// <summary>Empty in the usage chunk.</summary>
    public required IReadOnlyList<ChatChunkChoice> Choices { get; init; }

    public Usage? Usage { get; init; }
}

/// <summary>One choice's part of a chunk.</summary>
public sealed record ChatChunkChoice
{
    public required int Index { get; init; }

    public required ChatDelta Delta { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}

/// <summary>What a chunk adds to the message; both null in the final chunk (written as <c>{}</c>).</summary>
public sealed record ChatDelta
{
    public string? Role { get; init; }

    public string? Content { get; init; }
}
