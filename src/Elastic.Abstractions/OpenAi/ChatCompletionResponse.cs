using System.Text.Json.Serialization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>A <c>chat.completion</c> object.</summary>
public sealed record ChatCompletionResponse
{
    public const string ObjectType = "chat.completion";

    public required string Id { get; init; }

    /// <summary>OpenAI's <c>object</c> field.</summary>
    [JsonPropertyName("object")]
    public string ObjectKind { get; init; } = ObjectType;

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<ChatChoice> Choices { get; init; }

    public required Usage Usage { get; init; }
}

/// <summary>One choice of a chat completion.</summary>
public sealed record ChatChoice
{
    public required int Index { get; init; }

    public required ChatResponseMessage Message { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}

/// <summary>The assistant's reply.</summary>
public sealed record ChatResponseMessage
{
    public string Role { get; init; } = "assistant";

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Content { get; init; }
}

/// <summary>Chat log-probabilities: one entry per generated token.</summary>
public sealed record ChatLogprobs
{
    public required IReadOnlyList<ChatTokenLogprob> Content { get; init; }
}

/// <summary>A generated token with its log-probability, UTF-8 bytes and the most likely alternatives.</summary>
public sealed record ChatTokenLogprob
{
    public required string Token { get; init; }

    public required float Logprob { get; init; }

    /// <summary>The token's UTF-8 bytes as integers (a token may hold part of a character).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyList<int>? Bytes { get; init; }

    public required IReadOnlyList<ChatTopLogprob> TopLogprobs { get; init; }
}

/// <summary>One alternative at a position.</summary>
public sealed record ChatTopLogprob
{
    public required string Token { get; init; }

    public required float Logprob { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyList<int>? Bytes { get; init; }
}
