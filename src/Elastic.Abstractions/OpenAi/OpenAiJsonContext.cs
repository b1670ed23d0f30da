using System.Text.Json.Serialization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>Source-generated JSON for the wire types: snake_case names, nulls left out unless OpenAI writes them.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OpenAiErrorResponse))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
public sealed partial class OpenAiJsonContext : JsonSerializerContext;
