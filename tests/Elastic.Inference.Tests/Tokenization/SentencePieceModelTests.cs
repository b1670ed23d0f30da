using Elastic.Inference.Configuration;
using Elastic.Inference.Tokenization;
using static Elastic.Inference.Tests.Tokenization.TokenizerTestFiles;

namespace Elastic.Inference.Tests.Tokenization;

public sealed class SentencePieceModelTests
{
    private static ModelTokenizer Load(TempCheckpoint dir, bool withConfig = true)
    {
        File.WriteAllBytes(dir.File("tokenizer.model"), SentencePieceModel());
        if (withConfig)
        {
            dir.Write("tokenizer_config.json", LlamaConfig());
        }

        return ModelTokenizer.Load(dir.Path);
    }

    [Fact]
    public void Load_ModelOnly_ReadsControlTokens()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir, withConfig: false);

        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(2, tokenizer.EosTokenId);
        Assert.True(tokenizer.AddBosToken);
        Assert.Equal("<0x41>", tokenizer.TokenText(3 + 0x41));
        Assert.Equal(new byte[] { 0x41 }, tokenizer.TokenBytes(3 + 0x41));
    }

    [Fact]
    public void Encode_HelloWorld_UsesWholeWordPieces()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        var ids = tokenizer.Encode("hello world", addSpecialTokens: true);

        Assert.Equal(["<s>", "\u2581hello", "\u2581world"], ids.Select(tokenizer.TokenText));
        Assert.Equal("hello world", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("emoji 🙂 and 日本語")]
    [InlineData("hello\nworld")]
    public void EncodeDecode_ArbitraryUnicode_RoundTrips(string text)
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: true), skipSpecialTokens: true));
    }

    [Fact]
    public void Encode_SpecialTokenInText_IsOneId()
    {
        using var dir = new TempCheckpoint();
        var tokenizer = Load(dir);

        var ids = tokenizer.Encode("hello</s>", addSpecialTokens: false);

        Assert.Equal(2, ids[^1]);
        Assert.DoesNotContain(2, ids.Take(ids.Count - 1));
    }

    [Fact]
    public void Load_CorruptModel_ThrowsNamingTheFile()
    {
        using var dir = new TempCheckpoint();
        File.WriteAllBytes(dir.File("tokenizer.model"), [0xFF, 0xFF, 0xFF, 0x01, 0x02]);

        var ex = Assert.Throws<CheckpointException>(() => ModelTokenizer.Load(dir.Path));

        Assert.Contains("tokenizer.model", ex.Message, StringComparison.Ordinal);
    }
}
