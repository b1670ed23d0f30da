using System.Text.Json;
using System.Text.RegularExpressions;

namespace Elastic.Inference.Tokenization;

/// <summary>Reads checkpoint JSON, turning every shape problem into a <see cref="Configuration.CheckpointException"/>.</summary>
internal static class CheckpointJson
{
    public static JsonDocument ParseFile(string path, string file)
    {
        if (!File.Exists(path))
        {
            throw new Configuration.CheckpointException(file, null, $"file not found at '{path}'");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new Configuration.CheckpointException(file, null, $"malformed JSON: {ex.Message}", ex);
        }
    }

    public static string RequiredString(JsonElement element, string name, string file, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new Configuration.CheckpointException(file, null, $"{what} must be a JSON object");
        }

        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new Configuration.CheckpointException(file, null, $"{what} is missing the string field '{name}'");
        }

        return value.GetString()!;
    }

    public static JsonElement RequiredArray(JsonElement element, string name, string file, string what)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            throw new Configuration.CheckpointException(file, null, $"{what} is missing the array field '{name}'");
        }

        return value;
    }

    public static JsonElement RequiredObject(JsonElement element, string name, string file, string what)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Object)
        {
            throw new Configuration.CheckpointException(file, null, $"{what} is missing the object field '{name}'");
        }

        return value;
    }

    public static bool Bool(JsonElement element, string name, bool fallback)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value))
        {
            if (value.ValueKind == JsonValueKind.True)
            {
                return true;
            }

            if (value.ValueKind == JsonValueKind.False)
            {
                return false;
            }
        }

        return fallback;
    }

    public static string? OptionalString(JsonElement element, string name)
    {
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
    }

    public static Regex CompileRegex(string pattern, string file, string what)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException ex)
        {
            throw new Configuration.CheckpointException(file, null, $"{what}: regex '{pattern}' is not valid: {ex.Message}", ex);
        }
    }
}
