using System.Text.Encodings.Web;
using System.Text.Json;

namespace Elastic.Inference.Tokenization;

/// <summary>Writes a byte-level BPE tokenizer.json laid out like GPT-2's and Qwen's.</summary>
internal static class TokenizerJsonWriter
{
    public static void Write(string path, IReadOnlyList<string> tokens, int specialCount, IReadOnlyList<(string Left, string Right)> merges, bool individualDigits = false)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        // Relaxed escaping keeps byte-level symbols such as "Ġ" readable, as Hugging Face writes them.
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteString("version", "1.0");
        writer.WriteNull("truncation");
        writer.WriteNull("padding");
        writer.WriteStartArray("added_tokens");
        for (var id = 0; id < specialCount; id++)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("content", tokens[id]);
            writer.WriteBoolean("single_word", false);
            writer.WriteBoolean("lstrip", false);
            writer.WriteBoolean("rstrip", false);
            writer.WriteBoolean("normalized", false);
            writer.WriteBoolean("special", true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNull("normalizer");
        if (individualDigits)
        {
            writer.WriteStartObject("pre_tokenizer");
            writer.WriteString("type", "Sequence");
            writer.WriteStartArray("pretokenizers");
            writer.WriteStartObject();
            writer.WriteString("type", "Digits");
            writer.WriteBoolean("individual_digits", true);
            writer.WriteEndObject();
            WriteByteLevel(writer, null, addPrefixSpace: false, trimOffsets: true);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        else
        {
            WriteByteLevel(writer, "pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
        }

        WriteByteLevel(writer, "post_processor", addPrefixSpace: true, trimOffsets: false);
        WriteByteLevel(writer, "decoder", addPrefixSpace: true, trimOffsets: true);

        writer.WriteStartObject("model");
        writer.WriteString("type", "BPE");
        writer.WriteNull("dropout");
        writer.WriteNull("unk_token");
        writer.WriteNull("continuing_subword_prefix");
        writer.WriteNull("end_of_word_suffix");
        writer.WriteBoolean("fuse_unk", false);
        writer.WriteBoolean("byte_fallback", false);
        writer.WriteBoolean("ignore_merges", false);
        writer.WriteStartObject("vocab");
        for (var id = 0; id < tokens.Count; id++)
        {
            writer.WriteNumber(tokens[id], id);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("merges");
        foreach (var (left, right) in merges)
        {
            // Byte-level symbols never contain a space, so the compact "a b" form every reader accepts is safe.
            writer.WriteStringValue(left + " " + right);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter writer, string? name, bool addPrefixSpace, bool trimOffsets)
    {
        if (name is null)
        {
            writer.WriteStartObject();
        }
        else
        {
            writer.WriteStartObject(name);
        }

        writer.WriteString("type", "ByteLevel");
        writer.WriteBoolean("add_prefix_space", addPrefixSpace);
        writer.WriteBoolean("trim_offsets", trimOffsets);
        writer.WriteBoolean("use_regex", true);
        writer.WriteEndObject();
    }
}
