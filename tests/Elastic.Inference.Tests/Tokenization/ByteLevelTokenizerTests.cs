using System.Text.Json.Nodes;
using Elastic.Inference.Tokenization;
using static Elastic.Inference.Tests.Tokenization.TokenizerTestFiles;

namespace Elastic.Inference.Tests.Tokenization;

public sealed class ByteLevelTokenizerTests
{
    private static readonly string[] HelloWorldMerges =
        ["h e", "l l", "he ll", "hell o", "\u0120 w", "o r", "\u0120w or", "l d", "\u0120wor ld"];

    public static TheoryData<string> RoundTripTexts => new()
    {
        "hello world",
        "  leading and trailing  ",
        "tabs\tand\nnewlines\r\n\n",
        "emoji 🙂👍🏽 and family 👨‍👩‍👧",
        "中文字符和日本語のテキスト",
        "math 𝐀𝐁𝐂 𝟏𝟐𝟑 and café",
        "it's they're we'll I'd",
        "1234567890 3.14159",
        "",
        "<|im_start|> not quite <|im_",
    };

    [Theory]
    [MemberData(nameof(RoundTripTexts))]
    public void EncodeDecode_ArbitraryUnicode_RoundTrips(string text)
    {
        foreach (var qwen in new[] { false, true })
        {
            using var dir = new TempCheckpoint();
            var tokenizer = LoadJson(dir, ByteLevel(HelloWorldMerges, qwen, ChatSpecials), QwenConfig());

            var ids = tokenizer.Encode(text, addSpecialTokens: true);

            Assert.Equal(text, tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void Encode_HelloWorld_AppliesMergesInRankOrder()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel(HelloWorldMerges, qwenStyle: false));

        var ids = tokenizer.Encode("hello world", addSpecialTokens: false);

        Assert.Equal(["hello", "\u0120world"], ids.Select(tokenizer.TokenText));
    }

    [Fact]
    public void Encode_MergeRankDecidesSegmentation()
    {
        using var first = new TempCheckpoint();
        using var second = new TempCheckpoint();
        var bcFirst = LoadJson(first, ByteLevel(["b c", "a b"], qwenStyle: false));
        var abFirst = LoadJson(second, ByteLevel(["a b", "b c"], qwenStyle: false));

        Assert.Equal(["a", "bc"], bcFirst.Encode("abc", false).Select(bcFirst.TokenText));
        Assert.Equal(["ab", "c"], abFirst.Encode("abc", false).Select(abFirst.TokenText));
    }

    [Fact]
    public void Encode_RepeatedPair_MergesLeftmostFirst()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel(["a a"], qwenStyle: false));

        Assert.Equal(["aa", "a"], tokenizer.Encode("aaa", false).Select(tokenizer.TokenText));
    }

    [Fact]
    public void Encode_QwenSplitRegex_KeepsDigitsApart()
    {
        using var qwenDir = new TempCheckpoint();
        using var gptDir = new TempCheckpoint();
        var qwen = LoadJson(qwenDir, ByteLevel(["1 2", "\u0120 1", "\u01201 2"], qwenStyle: true));
        var gpt = LoadJson(gptDir, ByteLevel(["1 2", "\u0120 1", "\u01201 2"], qwenStyle: false));

        Assert.Equal(["a", "\u0120", "1", "2", "3"], qwen.Encode("a 123", false).Select(qwen.TokenText));
        Assert.Equal(["a", "\u0120", "12", "3"], gpt.Encode("a 123", false).Select(gpt.TokenText));
    }

    [Fact]
    public void Encode_ChatMarkup_ControlTokensAreSingleIds()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel(HelloWorldMerges, qwenStyle: true, ChatSpecials), QwenConfig());
        var imStart = tokenizer.TokenToId("<|im_start|>")!.Value;
        var imEnd = tokenizer.TokenToId("<|im_end|>")!.Value;
        const string prompt = "<|im_start|>user\nhello world<|im_end|>\n<|im_start|>assistant\n";

        var ids = tokenizer.Encode(prompt, addSpecialTokens: true);

        Assert.Equal(imStart, ids[0]);
        Assert.Equal(2, ids.Count(id => id == imStart));
        Assert.Single(ids, id => id == imEnd);
        Assert.Equal(prompt, tokenizer.Decode(ids));
        Assert.Equal("user\nhello world\nassistant\n", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.True(tokenizer.IsSpecialToken(imEnd));
    }

    [Fact]
    public void Load_QwenConfig_NoBosAndEosResolved()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel(HelloWorldMerges, qwenStyle: true, ChatSpecials), QwenConfig());

        Assert.Null(tokenizer.BosTokenId);
        Assert.False(tokenizer.AddBosToken);
        Assert.Equal(tokenizer.TokenToId("<|im_end|>"), tokenizer.EosTokenId);
        Assert.Equal(256 + HelloWorldMerges.Length + ChatSpecials.Length, tokenizer.VocabSize);
        Assert.Equal(tokenizer.Encode("hello", false), tokenizer.Encode("hello", true));
    }

    [Fact]
    public void Load_NoTokenizerConfig_FallsBackToGenerationConfigEos()
    {
        using var dir = new TempCheckpoint();
        dir.Write("generation_config.json", new JsonObject { ["eos_token_id"] = new JsonArray(257, 258) });
        var tokenizer = LoadJson(dir, ByteLevel([], qwenStyle: false, ChatSpecials));

        Assert.Equal(257, tokenizer.EosTokenId);
        Assert.Null(tokenizer.BosTokenId);
    }

    [Fact]
    public void TokenBytes_ByteLevelSymbols_MapToRawBytes()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel(HelloWorldMerges, qwenStyle: false, ChatSpecials));

        Assert.Equal(" world"u8.ToArray(), tokenizer.TokenBytes(tokenizer.TokenToId("\u0120world")!.Value));
        Assert.Equal(new byte[] { 0xFF }, tokenizer.TokenBytes(tokenizer.TokenToId("\u00FF")!.Value));
        Assert.Equal("<|im_end|>"u8.ToArray(), tokenizer.TokenBytes(tokenizer.TokenToId("<|im_end|>")!.Value));
        Assert.Empty(tokenizer.TokenBytes(-1));
        Assert.Empty(tokenizer.TokenBytes(tokenizer.VocabSize));
        Assert.Null(tokenizer.TokenText(tokenizer.VocabSize));
    }

    [Fact]
    public void Decode_InvalidUtf8_ReturnsReplacementCharacter()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel([], qwenStyle: false));
        var ff = tokenizer.TokenToId("\u00FF")!.Value;
        var e6 = tokenizer.TokenToId("\u00E6")!.Value; // first byte of a three-byte character
        var a = tokenizer.TokenToId("a")!.Value;

        Assert.Equal("a\uFFFDa", tokenizer.Decode([a, ff, a]));
        Assert.Equal("\uFFFDa", tokenizer.Decode([e6, a]));
        Assert.Equal("a\uFFFD", tokenizer.Decode([a, e6]));
    }

    [Fact]
    public void Decode_RandomIds_NeverThrows()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = LoadJson(dir, ByteLevel(HelloWorldMerges, qwenStyle: true, ChatSpecials), QwenConfig());
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var ids = Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(-10, tokenizer.VocabSize + 10)).ToArray();

            var text = tokenizer.Decode(ids, skipSpecialTokens: round % 2 == 0);

            Assert.NotNull(text);
        }

        Assert.Equal("hello", tokenizer.Decode([int.MinValue, tokenizer.TokenToId("hello")!.Value, int.MaxValue]));
    }

    [Fact]
    public void RegexSplitter_SupplementaryCharacters_ClassifiedLikeOniguruma()
    {
        var qwen = new System.Text.RegularExpressions.Regex(QwenPattern);
        var gpt2 = new System.Text.RegularExpressions.Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");

        static string[] Pieces(System.Text.RegularExpressions.Regex regex, string text) =>
            [.. RegexSplitter.Split(regex, text, SplitBehavior.Isolated, invert: false).Select(p => text.Substring(p.Start, p.Length))];

        Assert.Equal(["x", "𝟏", "𝟐"], Pieces(qwen, "x𝟏𝟐"));
        Assert.Equal(["ab𝐀c", " d"], Pieces(gpt2, "ab𝐀c d"));
        Assert.Equal(["hi", " 🙂🙂"], Pieces(gpt2, "hi 🙂🙂"));
    }
}
