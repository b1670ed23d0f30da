using System.Text;
using System.Text.Json.Nodes;
using Elastic.Inference.Tokenization;

namespace Elastic.Inference.Tests.Tokenization;

/// <summary>A temporary checkpoint folder, deleted on dispose.</summary>
internal sealed class TempCheckpoint : IDisposable
{
    public TempCheckpoint()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "elastic-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Write(string name, string text) => System.IO.File.WriteAllText(File(name), text);

    public void Write(string name, JsonNode node) => Write(name, node.ToJsonString());

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Builds tiny tokenizer files shaped like real Qwen, OLMoE, Llama and SentencePiece checkpoints.</summary>
internal static class TokenizerTestFiles
{
    public const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static readonly string[] ChatSpecials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <summary>Byte-level vocab: the 256 alphabet symbols (ids 0-255 in code point order), then merge results, then specials.</summary>
    public static JsonObject ByteLevel(string[] merges, bool qwenStyle, string[]? specials = null)
    {
        var vocab = new JsonObject();
        var next = 0;
        var seen = new HashSet<string>();
        void Add(string token)
        {
            if (seen.Add(token))
            {
                vocab[token] = next++;
            }
        }

        foreach (var c in ByteLevelAlphabetForTests().Order())
        {
            Add(c.ToString());
        }

        foreach (var merge in merges)
        {
            Add(merge.Replace(" ", string.Empty, StringComparison.Ordinal));
        }

        var added = new JsonArray();
        foreach (var special in specials ?? [])
        {
            added.Add(AddedToken(next, special));
            vocab[special] = next++;
        }

        JsonNode preTokenizer = qwenStyle
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = QwenPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            }
            : new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };

        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = qwenStyle ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create(m))]),
            },
        };
    }

    /// <summary>
    /// Llama/Mixtral layout: &lt;unk&gt; &lt;s&gt; &lt;/s&gt; = 0..2, &lt;0x00&gt;..&lt;0xFF&gt; = 3..258, then "▁" and
    /// the given pieces and merge results. metaspace=false gives the legacy Prepend/Replace normalizer and
    /// Replace/ByteFallback/Fuse/Strip decoder; true gives a Metaspace pre-tokenizer and decoder.
    /// </summary>
    public static JsonObject Llama(string[] pieces, string[] merges, bool metaspace = false)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        var next = 3;
        for (var b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = next++;
        }

        foreach (var piece in pieces.Concat(merges.Select(m => m.Replace(" ", string.Empty, StringComparison.Ordinal))))
        {
            if (!vocab.ContainsKey(piece))
            {
                vocab[piece] = next++;
            }
        }

        var added = new JsonArray(AddedToken(0, "<unk>"), AddedToken(1, "<s>"), AddedToken(2, "</s>"));
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = metaspace ? null : new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
            },
            ["pre_tokenizer"] = metaspace
                ? new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "first", ["split"] = false }
                : null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = metaspace
                ? new JsonObject
                {
                    ["type"] = "Sequence",
                    ["decoders"] = new JsonArray(
                        new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "first", ["split"] = false },
                        new JsonObject { ["type"] = "ByteFallback" },
                        new JsonObject { ["type"] = "Fuse" }),
                }
                : new JsonObject
                {
                    ["type"] = "Sequence",
                    ["decoders"] = new JsonArray(
                        new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\u2581" }, ["content"] = " " },
                        new JsonObject { ["type"] = "ByteFallback" },
                        new JsonObject { ["type"] = "Fuse" },
                        new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
                },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = "<unk>",
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true,
                ["byte_fallback"] = true,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)new JsonArray(m.Split(' ')[0], m.Split(' ')[1]))]),
            },
        };
        return json;
    }

    public static JsonObject LlamaConfig(bool addBos = true) => new()
    {
        ["add_bos_token"] = addBos,
        ["add_eos_token"] = false,
        ["bos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<s>", ["lstrip"] = false, ["normalized"] = false },
        ["eos_token"] = "</s>",
        ["unk_token"] = "<unk>",
    };

    public static JsonObject QwenConfig() => new()
    {
        ["bos_token"] = null,
        ["eos_token"] = "<|im_end|>",
        ["pad_token"] = "<|endoftext|>",
    };

    public static JsonObject AddedToken(int id, string content) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = true,
    };

    public static readonly string[] LlamaPieces = ["\u2581", "h", "e", "l", "o", "w", "r", "d", "a", "b", "c"];

    public static readonly string[] LlamaMerges =
        ["h e", "l l", "he ll", "hell o", "\u2581 hello", "w o", "wo r", "l d", "wor ld", "\u2581 world", "\u2581 \u2581"];

    /// <summary>A SentencePiece ModelProto (BPE, byte_fallback) with the same pieces as <see cref="Llama"/>; scores favour longer pieces.</summary>
    public static byte[] SentencePieceModel(bool addDummyPrefix = true)
    {
        var model = new ProtoWriter();
        void Piece(string text, float score, int type)
        {
            var piece = new ProtoWriter();
            piece.String(1, text);
            piece.Float(2, score);
            piece.Varint(3, type);
            model.Message(1, piece);
        }

        Piece("<unk>", 0, 2);
        Piece("<s>", 0, 3);
        Piece("</s>", 0, 3);
        for (var b = 0; b < 256; b++)
        {
            Piece($"<0x{b:X2}>", 0, 6);
        }

        var normal = LlamaPieces.Concat(LlamaMerges.Select(m => m.Replace(" ", string.Empty, StringComparison.Ordinal))).Distinct().ToList();
        foreach (var piece in normal)
        {
            Piece(piece, -1000 + piece.Length, 1);
        }

        var trainer = new ProtoWriter();
        trainer.Varint(3, 2);   // model_type BPE
        trainer.Varint(35, 1);  // byte_fallback
        trainer.Varint(40, 0);  // unk_id
        trainer.Varint(41, 1);  // bos_id
        trainer.Varint(42, 2);  // eos_id
        trainer.Varint(43, -1); // pad_id
        model.Message(2, trainer);

        var normalizer = new ProtoWriter();
        normalizer.String(1, "identity");
        normalizer.Varint(3, addDummyPrefix ? 1 : 0);
        normalizer.Varint(4, 0);
        normalizer.Varint(5, 1);
        model.Message(3, normalizer);
        return model.ToArray();
    }

    private static IEnumerable<char> ByteLevelAlphabetForTests()
    {
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            yield return printable ? (char)b : (char)next++;
        }
    }

    /// <summary>Just enough protobuf wire format to write a SentencePiece model.</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Varint(int field, long value)
        {
            Tag(field, 0);
            Raw((ulong)value);
        }

        public void Float(int field, float value)
        {
            Tag(field, 5);
            _bytes.AddRange(BitConverter.GetBytes(value));
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter inner) => Bytes(field, inner.ToArray());

        public byte[] ToArray() => [.. _bytes];

        private void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Raw((ulong)value.Length);
            _bytes.AddRange(value);
        }

        private void Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }

    public static ModelTokenizer LoadJson(TempCheckpoint dir, JsonObject tokenizer, JsonObject? config = null)
    {
        dir.Write("tokenizer.json", tokenizer);
        if (config is not null)
        {
            dir.Write("tokenizer_config.json", config);
        }

        return ModelTokenizer.Load(dir.Path);
    }
}
