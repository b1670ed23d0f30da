using System.Text.Json.Serialization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>The error envelope: <c>{"error": {...}}</c>.</summary>
public sealed record OpenAiErrorResponse(OpenAiErrorBody Error);

/// <summary>An error's fields; <c>param</c> and <c>code</c> are written as null rather than left out, as OpenAI does.</summary>
public sealed record OpenAiErrorBody(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);
