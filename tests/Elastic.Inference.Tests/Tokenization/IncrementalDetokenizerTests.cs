using System.Text;
using Elastic.Inference.Tokenization;
using static Elastic.Inference.Tests.Tokenization.TokenizerTestFiles;

namespace Elastic.Inference.Tests.Tokenization;

public sealed class IncrementalDetokenizerTests
{
    public static TheoryData<string> Kinds => new() { "byte-level", "qwen", "llama", "metaspace", "sentencepiece" };

    private static ModelTokenizer Load(TempCheckpoint dir, string kind)
    {
        switch (kind)
        {
            case "byte-level":
                return LoadJson(dir, ByteLevel(["h e", "l l", "he ll", "\u0120 w"], qwenStyle: false, ChatSpecials));
            case "qwen":
                return LoadJson(dir, ByteLevel(["h e", "l l", "he ll", "\u0120 w"], qwenStyle: true, ChatSpecials), QwenConfig());
            case "llama":
                return LoadJson(dir, Llama(LlamaPieces, LlamaMerges), LlamaConfig());
            case "metaspace":
                return LoadJson(dir, Llama(LlamaPieces, LlamaMerges, metaspace: true), LlamaConfig());
            default:
                File.WriteAllBytes(dir.File("tokenizer.model"), SentencePieceModel());
                return ModelTokenizer.Load(dir.Path);
        }
    }

    private static string Stream(ModelTokenizer tokenizer, IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        var detokenizer = tokenizer.CreateDetokenizer(skipSpecialTokens);
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            text.Append(detokenizer.Append(id));
        }

        return text.Append(detokenizer.Flush()).ToString();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Append_RandomIds_ConcatenationEqualsDecode(string kind)
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, kind);
        var random = new Random(kind.Length * 31);
        for (var round = 0; round < 300; round++)
        {
            var ids = Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(-3, tokenizer.VocabSize + 3)).ToArray();
            var skip = round % 3 == 0;

            Assert.Equal(tokenizer.Decode(ids, skip), Stream(tokenizer, ids, skip));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Append_EncodedText_ConcatenationEqualsDecode(string kind)
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, kind);
        foreach (var text in new[] { "hello world", " hello", "  x", "日本語 🙂 done", " ", "<s>hi</s> <|im_end|>" })
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: true);

            Assert.Equal(tokenizer.Decode(ids), Stream(tokenizer, ids, skipSpecialTokens: false));
            Assert.Equal(tokenizer.Decode(ids, skipSpecialTokens: true), Stream(tokenizer, ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void Append_MultiByteCharacterAcrossTokens_HeldUntilComplete()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, "llama");
        var detokenizer = tokenizer.CreateDetokenizer();
        int Id(string token) => tokenizer.TokenToId(token)!.Value;

        Assert.Equal("hello", detokenizer.Append(Id("\u2581hello")));
        Assert.Equal(string.Empty, detokenizer.Append(Id("<0xE6>")));
        Assert.Equal(string.Empty, detokenizer.Append(Id("<0x97>")));
        Assert.Equal("日", detokenizer.Append(Id("<0xA5>")));
        Assert.Equal(" world", detokenizer.Append(Id("\u2581world")));
        Assert.Equal(string.Empty, detokenizer.Flush());
    }

    [Fact]
    public void Flush_IncompleteCharacter_EmitsReplacementCharacter()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, "byte-level");
        var detokenizer = tokenizer.CreateDetokenizer();

        Assert.Equal("h", detokenizer.Append(tokenizer.TokenToId("h")!.Value));
        Assert.Equal(string.Empty, detokenizer.Append(tokenizer.TokenToId("\u00F0")!.Value)); // lead byte of a 4-byte character

        Assert.Equal("\uFFFD", detokenizer.Flush());
    }

    [Fact]
    public void Append_LeadingSpaceRule_MatchesDecodeAtStreamStart()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, "llama");
        var detokenizer = tokenizer.CreateDetokenizer(skipSpecialTokens: true);
        var space = tokenizer.TokenToId("\u2581")!.Value;

        Assert.Equal(string.Empty, detokenizer.Append(1));          // <s> skipped
        Assert.Equal(string.Empty, detokenizer.Append(space));      // the stripped dummy prefix
        Assert.Equal(" ", detokenizer.Append(space));
        Assert.Equal(" hello", detokenizer.Append(tokenizer.TokenToId("\u2581hello")!.Value));
        Assert.Equal("  hello", tokenizer.Decode([1, space, space, tokenizer.TokenToId("\u2581hello")!.Value], skipSpecialTokens: true));
    }
}
