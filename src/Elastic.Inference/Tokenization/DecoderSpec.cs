using System.Text;
using System.Text.Json;

namespace Elastic.Inference.Tokenization;

/// <summary>What the tokenizer.json "decoder" does to token strings, reduced to per-token bytes plus leading-space rules.</summary>
internal sealed class DecoderSpec
{
    private readonly List<(string From, string To)> _replacements = [];

    public bool ByteLevel { get; private set; }

    public bool ByteFallback { get; private set; }

    /// <summary>How many leading spaces of the whole output a Strip decoder removes.</summary>
    public int StripLeading { get; private set; }

    /// <summary>Metaspace decoder: in the first token every replacement character is dropped rather than made a space.</summary>
    public char? MetaspaceReplacement { get; private set; }

    public static DecoderSpec SentencePiece(bool addDummyPrefix)
    {
        var spec = new DecoderSpec { ByteFallback = true, StripLeading = addDummyPrefix ? 1 : 0 };
        spec._replacements.Add(("\u2581", " "));
        return spec;
    }

    public static DecoderSpec Parse(JsonElement element, bool byteLevelModel, string file)
    {
        var spec = new DecoderSpec();
        if (element.ValueKind == JsonValueKind.Null)
        {
            // Without a decoder Hugging Face joins tokens with spaces; for a byte-level model that would be
            // gibberish, so its alphabet is still decoded.
            spec.ByteLevel = byteLevelModel;
            return spec;
        }

        spec.Add(element, file);
        return spec;
    }

    public byte[] Bytes(string token, bool first)
    {
        if (ByteLevel)
        {
            return ByteLevelAlphabet.TryDecode(token) ?? Encoding.UTF8.GetBytes(token);
        }

        if (ByteFallback && BpeModel.TryParseByteToken(token, out var value))
        {
            return [value];
        }

        if (MetaspaceReplacement is { } replacement)
        {
            token = first
                ? token.Replace(replacement.ToString(), string.Empty, StringComparison.Ordinal)
                : token.Replace(replacement, ' ');
        }

        foreach (var (from, to) in _replacements)
        {
            token = token.Replace(from, to, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(token);
    }

    private void Add(JsonElement element, string file)
    {
        var type = CheckpointJson.RequiredString(element, "type", file, "decoder");
        switch (type)
        {
            case "Sequence":
                foreach (var inner in CheckpointJson.RequiredArray(element, "decoders", file, "decoder Sequence").EnumerateArray())
                {
                    Add(inner, file);
                }

                break;
            case "ByteLevel":
                ByteLevel = true;
                break;
            case "ByteFallback":
                ByteFallback = true;
                break;
            case "Fuse":
                break;
            case "Replace":
                var pattern = CheckpointJson.RequiredObject(element, "pattern", file, "decoder Replace");
                if (!pattern.TryGetProperty("String", out var from) || from.ValueKind != JsonValueKind.String)
                {
                    throw new Configuration.CheckpointException(file, null, "decoder Replace: only {\"String\": ...} patterns are supported");
                }

                _replacements.Add((from.GetString()!, CheckpointJson.RequiredString(element, "content", file, "decoder Replace")));
                break;
            case "Strip":
                var content = CheckpointJson.OptionalString(element, "content") ?? " ";
                var stop = element.TryGetProperty("stop", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0;
                if (content != " " || stop != 0)
                {
                    throw new Configuration.CheckpointException(file, null, "decoder Strip: only leading spaces (content \" \", stop 0) are supported");
                }

                StripLeading = element.TryGetProperty("start", out var start) && start.ValueKind == JsonValueKind.Number ? start.GetInt32() : 0;
                break;
            case "Metaspace":
                var replacement = CheckpointJson.OptionalString(element, "replacement") ?? "\u2581";
                var scheme = CheckpointJson.OptionalString(element, "prepend_scheme")
                    ?? (CheckpointJson.Bool(element, "add_prefix_space", true) ? "always" : "never");
                if (replacement.Length != 1)
                {
                    throw new Configuration.CheckpointException(file, null, "decoder Metaspace: replacement must be one character");
                }

                if (scheme == "never")
                {
                    _replacements.Add((replacement, " "));
                }
                else
                {
                    MetaspaceReplacement = replacement[0];
                }

                break;
            default:
                throw new Configuration.CheckpointException(file, null, $"decoder type '{type}' is not supported");
        }
    }
}
