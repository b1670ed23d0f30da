using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Elastic.Inference.Tokenization;

/// <summary>The tokenizer.json "normalizer": a chain of string rewrites applied to each non-special segment.</summary>
internal sealed class TextNormalizer
{
    private readonly List<Func<string, string>> _steps;

    private TextNormalizer(List<Func<string, string>> steps) => _steps = steps;

    public static TextNormalizer Identity { get; } = new([]);

    public string Apply(string text)
    {
        foreach (var step in _steps)
        {
            text = step(text);
        }

        return text;
    }

    public static TextNormalizer Parse(JsonElement element, string file)
    {
        var steps = new List<Func<string, string>>();
        AddSteps(element, steps, file);
        return new TextNormalizer(steps);
    }

    private static void AddSteps(JsonElement element, List<Func<string, string>> steps, string file)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        var type = CheckpointJson.RequiredString(element, "type", file, "normalizer");
        switch (type)
        {
            case "Sequence":
                foreach (var inner in CheckpointJson.RequiredArray(element, "normalizers", file, "normalizer").EnumerateArray())
                {
                    AddSteps(inner, steps, file);
                }

                break;
            // With InvariantGlobalization the runtime has no ICU, and Normalize leaves non-ASCII text unchanged;
            // inputs that are already composed (nearly all text) are unaffected.
            case "NFC":
                steps.Add(static s => s.Normalize(NormalizationForm.FormC));
                break;
            case "NFD":
                steps.Add(static s => s.Normalize(NormalizationForm.FormD));
                break;
            case "NFKC":
                steps.Add(static s => s.Normalize(NormalizationForm.FormKC));
                break;
            case "NFKD":
                steps.Add(static s => s.Normalize(NormalizationForm.FormKD));
                break;
            case "Lowercase":
                steps.Add(static s => s.ToLowerInvariant());
                break;
            case "Prepend":
                var prefix = CheckpointJson.RequiredString(element, "prepend", file, "normalizer Prepend");
                // Hugging Face skips empty strings so segments between two special tokens stay empty.
                steps.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                steps.Add(ParseReplace(element, file, "normalizer Replace"));
                break;
            case "Strip":
                var left = !element.TryGetProperty("strip_left", out var l) || l.ValueKind != JsonValueKind.False;
                var right = !element.TryGetProperty("strip_right", out var r) || r.ValueKind != JsonValueKind.False;
                steps.Add(s => left && right ? s.Trim() : left ? s.TrimStart() : right ? s.TrimEnd() : s);
                break;
            default:
                throw new Configuration.CheckpointException(file, null, $"normalizer type '{type}' is not supported");
        }
    }

    internal static Func<string, string> ParseReplace(JsonElement element, string file, string what)
    {
        var content = CheckpointJson.RequiredString(element, "content", file, what);
        var pattern = CheckpointJson.RequiredObject(element, "pattern", file, what);
        if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String)
        {
            var from = literal.GetString()!;
            return from.Length == 0 ? static s => s : s => s.Replace(from, content, StringComparison.Ordinal);
        }

        if (pattern.TryGetProperty("Regex", out var regexText) && regexText.ValueKind == JsonValueKind.String)
        {
            var regex = CheckpointJson.CompileRegex(regexText.GetString()!, file, what);
            return s => regex.Replace(s, content.Replace("$", "$$", StringComparison.Ordinal));
        }

        throw new Configuration.CheckpointException(file, null, $"{what}: pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}");
    }
}
