using System.Text.Json;
using Elastic.Inference.Configuration;

namespace Elastic.Inference.Generation;

/// <summary>A checkpoint's <c>generation_config.json</c>: end-of-sequence ids and default sampling.</summary>
public sealed record GenerationConfig
{
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }

    /// <summary>Reads the file if present; an absent file means no defaults.</summary>
    public static GenerationConfig Load(string checkpointDir)
    {
        var path = Path.Combine(checkpointDir, "generation_config.json");
        if (!File.Exists(path))
        {
            return new GenerationConfig();
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var eos = root.TryGetProperty("eos_token_id", out var e)
                ? e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetInt32()).ToList() : e.ValueKind == JsonValueKind.Number ? [e.GetInt32()] : []
                : new List<int>();
            return new GenerationConfig
            {
                EosTokenIds = eos,
                Temperature = Number(root, "temperature"),
                TopP = Number(root, "top_p"),
                TopK = root.TryGetProperty("top_k", out var k) && k.ValueKind == JsonValueKind.Number ? k.GetInt32() : null,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException(path, null, $"generation_config.json is malformed: {ex.Message}");
        }
    }

    private static float? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : null;
}
