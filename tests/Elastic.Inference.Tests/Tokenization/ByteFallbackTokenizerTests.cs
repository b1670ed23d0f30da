using Elastic.Inference.Tokenization;
using static Elastic.Inference.Tests.Tokenization.TokenizerTestFiles;

namespace Elastic.Inference.Tests.Tokenization;

public sealed class ByteFallbackTokenizerTests
{
    public static TheoryData<string> RoundTripTexts => new()
    {
        "hello world",
        " hello world",
        "  two leading spaces",
        "trailing ",
        "hello\nworld\t!",
        "emoji 🙂👍🏽 family 👨‍👩‍👧",
        "中文字符 日本語 한국어",
        "𝐀𝐁𝐂 𝟏𝟐𝟑",
        "",
        " ",
    };

    private static ModelTokenizer Load(TempCheckpoint dir, bool metaspace = false, bool addBos = true) =>
        LoadJson(dir, Llama(LlamaPieces, LlamaMerges, metaspace), LlamaConfig(addBos));

    [Theory]
    [MemberData(nameof(RoundTripTexts))]
    public void EncodeDecode_ArbitraryUnicode_RoundTrips(string text)
    {
        foreach (var metaspace in new[] { false, true })
        {
            if (metaspace && text.StartsWith(' '))
            {
                // Hugging Face's Metaspace decoder drops a leading space here too: "▁hello" decodes to "hello".
                continue;
            }

            using var dir = new TempCheckpoint();
            var tokenizer = Load(dir, metaspace);

            var ids = tokenizer.Encode(text, addSpecialTokens: true);

            Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void Encode_HelloWorld_MergesToWordPieces()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        var ids = tokenizer.Encode("hello world", addSpecialTokens: true);

        Assert.Equal(["<s>", "\u2581hello", "\u2581world"], ids.Select(tokenizer.TokenText));
        Assert.Equal(1, ids[0]);
        Assert.Equal("<s> hello world", tokenizer.Decode(ids));
        Assert.Equal("hello world", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Encode_LeadingSpace_KeepsExtraMetaspace()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        var ids = tokenizer.Encode(" hello", addSpecialTokens: false);

        Assert.Equal(["\u2581", "\u2581hello"], ids.Select(tokenizer.TokenText));
        Assert.Equal(" hello", tokenizer.Decode(ids));
    }

    [Fact]
    public void Encode_UnknownCharacter_FallsBackToByteTokens()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        var ids = tokenizer.Encode("日", addSpecialTokens: false);

        Assert.Equal(["\u2581", "<0xE6>", "<0x97>", "<0xA5>"], ids.Select(tokenizer.TokenText));
        Assert.Equal(new byte[] { 0xE6 }, tokenizer.TokenBytes(ids[1]));
        Assert.Equal(" "u8.ToArray(), tokenizer.TokenBytes(ids[0]));
    }

    [Fact]
    public void Encode_SpecialTokenInText_LegacyNormalizerPrefixesEverySegment()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        var ids = tokenizer.Encode("hello</s>world", addSpecialTokens: false);

        // Hugging Face's legacy Llama normalizer prepends "▁" to each text segment between added tokens.
        Assert.Equal(["\u2581hello", "</s>", "\u2581world"], ids.Select(tokenizer.TokenText));
        Assert.Equal("hello</s> world", tokenizer.Decode(ids));
    }

    [Fact]
    public void Encode_SpecialTokenInText_MetaspaceFirstPrefixesOnlyTheStart()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, metaspace: true);

        var ids = tokenizer.Encode("<s>hello world", addSpecialTokens: false);

        Assert.Equal(["<s>", "hello", "\u2581world"], ids.Select(tokenizer.TokenText));
        Assert.Equal("<s>hello world", tokenizer.Decode(ids));
        Assert.Equal("hello world", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Encode_BosConfigured_AddsBosOnlyWithSpecialTokens()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        Assert.True(tokenizer.AddBosToken);
        Assert.False(tokenizer.AddEosToken);
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(2, tokenizer.EosTokenId);
        Assert.Equal(1, tokenizer.Encode("hello", addSpecialTokens: true)[0]);
        Assert.NotEqual(1, tokenizer.Encode("hello", addSpecialTokens: false)[0]);
    }

    [Fact]
    public void Encode_AddBosFalse_NoBos()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, addBos: false);

        Assert.False(tokenizer.AddBosToken);
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.NotEqual(1, tokenizer.Encode("hello", addSpecialTokens: true)[0]);
    }

    [Fact]
    public void Load_NoTokenizerConfig_BosFromPostProcessorTemplate()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, Llama(LlamaPieces, LlamaMerges));

        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.True(tokenizer.AddBosToken);
    }

    [Fact]
    public void Decode_ByteTokens_InvalidSequenceBecomesReplacementCharacter()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);
        var hello = tokenizer.TokenToId("\u2581hello")!.Value;
        var e6 = tokenizer.TokenToId("<0xE6>")!.Value;
        var ff = tokenizer.TokenToId("<0xFF>")!.Value;

        Assert.Equal("hello\uFFFD", tokenizer.Decode([hello, e6]));
        Assert.Equal("\uFFFD hello", tokenizer.Decode([ff, hello]));
    }

    [Fact]
    public void Decode_RandomIds_NeverThrows()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, metaspace: true);
        var random = new Random(11);
        for (var round = 0; round < 200; round++)
        {
            var ids = Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(-10, tokenizer.VocabSize + 10)).ToArray();
            Assert.NotNull(tokenizer.Decode(ids, skipSpecialTokens: round % 2 == 0));
        }
    }
}
