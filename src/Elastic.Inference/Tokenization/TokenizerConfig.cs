using System.Globalization;
using System.Text.Json;

namespace Elastic.Inference.Tokenization;

/// <summary>The parts of tokenizer_config.json (and generation_config.json) that affect encoding.</summary>
internal sealed class TokenizerConfig
{
    public string? BosToken { get; private init; }

    public string? EosToken { get; private init; }

    public bool? AddBosToken { get; private init; }

    public bool? AddEosToken { get; private init; }

    public int? GenerationEosId { get; private set; }

    public List<AddedToken> AddedTokensDecoder { get; } = [];

    public static TokenizerConfig Read(string directory)
    {
        var path = Path.Combine(directory, "tokenizer_config.json");
        var config = File.Exists(path) ? ReadTokenizerConfig(path) : new TokenizerConfig();
        var generation = Path.Combine(directory, "generation_config.json");
        if (config.EosToken is null && File.Exists(generation))
        {
            using var document = CheckpointJson.ParseFile(generation, generation);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("eos_token_id", out var eos))
            {
                // A list means several stop ids; the first is the canonical end of sequence.
                var first = eos.ValueKind == JsonValueKind.Array && eos.GetArrayLength() > 0 ? eos[0] : eos;
                if (first.ValueKind == JsonValueKind.Number && first.TryGetInt32(out var id))
                {
                    config.GenerationEosId = id;
                }
            }
        }

        return config;
    }

    private static TokenizerConfig ReadTokenizerConfig(string path)
    {
        using var document = CheckpointJson.ParseFile(path, path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new Configuration.CheckpointException(path, null, "the top level must be a JSON object");
        }

        var config = new TokenizerConfig
        {
            BosToken = TokenContent(root, "bos_token", path),
            EosToken = TokenContent(root, "eos_token", path),
            AddBosToken = OptionalBool(root, "add_bos_token"),
            AddEosToken = OptionalBool(root, "add_eos_token"),
        };

        if (root.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in decoder.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    throw new Configuration.CheckpointException(path, null, $"added_tokens_decoder key '{entry.Name}' is not a token id");
                }

                config.AddedTokensDecoder.Add(TokenizerJsonReader.ReadAddedToken(entry.Value, id, path, $"added_tokens_decoder[{entry.Name}]"));
            }
        }

        return config;
    }

    private static string? TokenContent(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => CheckpointJson.RequiredString(value, "content", path, name),
            _ => throw new Configuration.CheckpointException(path, null, $"{name} must be a string, an object with 'content', or null"),
        };
    }

    private static bool? OptionalBool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        } : null;
}
