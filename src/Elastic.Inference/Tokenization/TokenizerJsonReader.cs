using System.Text.Json;

namespace Elastic.Inference.Tokenization;

/// <summary>Reads a Hugging Face tokenizer.json with a BPE model.</summary>
internal static class TokenizerJsonReader
{
    public static LoadedTokenizer Read(string path)
    {
        using var document = CheckpointJson.ParseFile(path, path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new Configuration.CheckpointException(path, null, "the top level must be a JSON object");
        }

        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new Configuration.CheckpointException(path, null, "the object field 'model' is missing");
        }

        var type = CheckpointJson.OptionalString(model, "type") ?? (model.TryGetProperty("merges", out _) ? "BPE" : "(none)");
        if (type != "BPE")
        {
            throw new Configuration.CheckpointException(path, null, $"model type '{type}' is not supported; only BPE tokenizers can be loaded");
        }

        foreach (var unsupported in (string[])["continuing_subword_prefix", "end_of_word_suffix"])
        {
            if (CheckpointJson.OptionalString(model, unsupported) is { Length: > 0 } value)
            {
                throw new Configuration.CheckpointException(path, null, $"model.{unsupported} '{value}' is not supported");
            }
        }

        var vocab = ReadVocab(model, path);
        var bpe = new BpeModel(
            vocab,
            ReadMerges(model, path),
            CheckpointJson.OptionalString(model, "unk_token"),
            CheckpointJson.Bool(model, "fuse_unk", false),
            CheckpointJson.Bool(model, "byte_fallback", false),
            CheckpointJson.Bool(model, "ignore_merges", false),
            path);

        var normalizer = root.TryGetProperty("normalizer", out var n) ? TextNormalizer.Parse(n, path) : TextNormalizer.Identity;
        var preTokenizer = root.TryGetProperty("pre_tokenizer", out var p) ? PreTokenizer.Parse(p, path) : null;
        var decoder = DecoderSpec.Parse(
            root.TryGetProperty("decoder", out var d) ? d : default,
            preTokenizer?.IsByteLevel ?? false,
            path);
        var (prefix, suffix) = root.TryGetProperty("post_processor", out var post) ? ReadTemplate(post) : (null, null);

        return new LoadedTokenizer
        {
            Encoder = new JsonBpeEncoder(normalizer, preTokenizer, bpe),
            ModelVocab = vocab,
            AddedTokens = ReadAddedTokens(root, path),
            Decoder = decoder,
            TemplatePrefixToken = prefix,
            TemplateSuffixToken = suffix,
        };
    }

    private static Dictionary<string, int> ReadVocab(JsonElement model, string path)
    {
        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new Configuration.CheckpointException(path, null, "model.vocab must be an object of token → id");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
            {
                throw new Configuration.CheckpointException(path, null, $"model.vocab entry '{entry.Name}' must map to a non-negative integer id");
            }

            vocab[entry.Name] = id;
        }

        return vocab;
    }

    private static List<(string, string)> ReadMerges(JsonElement model, string path)
    {
        var merges = new List<(string, string)>();
        if (!model.TryGetProperty("merges", out var mergesElement) || mergesElement.ValueKind == JsonValueKind.Null)
        {
            return merges;
        }

        if (mergesElement.ValueKind != JsonValueKind.Array)
        {
            throw new Configuration.CheckpointException(path, null, "model.merges must be an array");
        }

        foreach (var merge in mergesElement.EnumerateArray())
        {
            // tokenizers < 0.20 wrote "a b"; later versions write ["a", "b"] so tokens may hold spaces.
            if (merge.ValueKind == JsonValueKind.String)
            {
                var text = merge.GetString()!;
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                {
                    throw new Configuration.CheckpointException(path, null, $"model.merges entry '{text}' is not two tokens separated by one space");
                }

                merges.Add((text[..space], text[(space + 1)..]));
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                merges.Add((merge[0].GetString()!, merge[1].GetString()!));
            }
            else
            {
                throw new Configuration.CheckpointException(path, null, $"model.merges entry {merges.Count} must be \"a b\" or [\"a\", \"b\"]");
            }
        }

        return merges;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var tokens = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind == JsonValueKind.Null)
        {
            return tokens;
        }

        if (added.ValueKind != JsonValueKind.Array)
        {
            throw new Configuration.CheckpointException(path, null, "added_tokens must be an array");
        }

        foreach (var token in added.EnumerateArray())
        {
            tokens.Add(ReadAddedToken(token, null, path, "added_tokens entry"));
        }

        return tokens;
    }

    internal static AddedToken ReadAddedToken(JsonElement token, int? id, string path, string what)
    {
        if (id is null)
        {
            if (token.ValueKind != JsonValueKind.Object || !token.TryGetProperty("id", out var idElement)
                || idElement.ValueKind != JsonValueKind.Number || !idElement.TryGetInt32(out var parsed) || parsed < 0)
            {
                throw new Configuration.CheckpointException(path, null, $"{what} needs a non-negative integer 'id'");
            }

            id = parsed;
        }

        return new AddedToken(
            id.Value,
            CheckpointJson.RequiredString(token, "content", path, what),
            CheckpointJson.Bool(token, "special", false),
            CheckpointJson.Bool(token, "lstrip", false),
            CheckpointJson.Bool(token, "rstrip", false),
            CheckpointJson.Bool(token, "single_word", false));
    }

    private static (string? Prefix, string? Suffix) ReadTemplate(JsonElement post)
    {
        if (post.ValueKind != JsonValueKind.Object)
        {
            return (null, null);
        }

        if (CheckpointJson.OptionalString(post, "type") == "Sequence" && post.TryGetProperty("processors", out var processors)
            && processors.ValueKind == JsonValueKind.Array)
        {
            foreach (var inner in processors.EnumerateArray())
            {
                var found = ReadTemplate(inner);
                if (found != (null, null))
                {
                    return found;
                }
            }

            return (null, null);
        }

        if (CheckpointJson.OptionalString(post, "type") != "TemplateProcessing" || !post.TryGetProperty("single", out var single)
            || single.ValueKind != JsonValueKind.Array || single.GetArrayLength() == 0)
        {
            return (null, null);
        }

        static string? Special(JsonElement piece) =>
            piece.ValueKind == JsonValueKind.Object && piece.TryGetProperty("SpecialToken", out var s) ? CheckpointJson.OptionalString(s, "id") : null;

        return (Special(single[0]), Special(single[single.GetArrayLength() - 1]));
    }
}
