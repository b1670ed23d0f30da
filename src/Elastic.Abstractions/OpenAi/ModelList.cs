using System.Text.Json.Serialization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>The <c>GET /v1/models</c> list object.</summary>
public sealed record ModelList
{
    /// <summary>OpenAI's <c>object</c> field.</summary>
    [JsonPropertyName("object")]
    public string ObjectKind { get; init; } = "list";

    public required IReadOnlyList<ModelCard> Data { get; init; }
}

/// <summary>One served model; <c>max_model_len</c> is vLLM's extension.</summary>
public sealed record ModelCard
{
    public required string Id { get; init; }

    /// <summary>OpenAI's <c>object</c> field.</summary>
    [JsonPropertyName("object")]
    public string ObjectKind { get; init; } = "model";

    public required long Created { get; init; }

    public string OwnedBy { get; init; } = "elastic";

    public int? MaxModelLen { get; init; }
}
