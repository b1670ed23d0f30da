using System.Text.Json.Nodes;
using Elastic.Inference.Configuration;
using Elastic.Inference.Tokenization;
using static Elastic.Inference.Tests.Tokenization.TokenizerTestFiles;

namespace Elastic.Inference.Tests.Tokenization;

public sealed class TokenizerLoadErrorTests
{
    private static CheckpointException LoadFails(TempCheckpoint dir) =>
        Assert.Throws<CheckpointException>(() => ModelTokenizer.Load(dir.Path));

    [Fact]
    public void Load_MissingDirectory_Throws()
    {
        var ex = Assert.Throws<CheckpointException>(() => ModelTokenizer.Load(Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid())));

        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoTokenizerFiles_NamesBothFiles()
    {
        using var dir = new TempCheckpoint();

        var ex = LoadFails(dir);

        Assert.Contains("tokenizer.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedJson_NamesFile()
    {
        using var dir = new TempCheckpoint();
        dir.Write("tokenizer.json", "{ \"model\": { \"type\": \"BPE\", ");

        var ex = LoadFails(dir);

        Assert.EndsWith("tokenizer.json", ex.File, StringComparison.Ordinal);
        Assert.Contains("malformed JSON", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.Tensor);
    }

    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    [InlineData("WordLevel")]
    public void Load_UnsupportedModelType_SaysSo(string type)
    {
        using var dir = new TempCheckpoint();
        dir.Write("tokenizer.json", new JsonObject { ["model"] = new JsonObject { ["type"] = type, ["vocab"] = new JsonObject() } });

        var ex = LoadFails(dir);

        Assert.Contains($"'{type}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("tokenizer.json", ex.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MergeOutsideVocab_Throws()
    {
        using var dir = new TempCheckpoint();
        var json = ByteLevel([], qwenStyle: false);
        json["model"]!["merges"] = new JsonArray("a \u4E00");
        dir.Write("tokenizer.json", json);

        var ex = LoadFails(dir);

        Assert.Contains("merge 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnsupportedPreTokenizer_Throws()
    {
        using var dir = new TempCheckpoint();
        var json = ByteLevel([], qwenStyle: false);
        json["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" };
        dir.Write("tokenizer.json", json);

        Assert.Contains("BertPreTokenizer", LoadFails(dir).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BosTokenNotInVocab_NamesTokenizerConfig()
    {
        using var dir = new TempCheckpoint();
        dir.Write("tokenizer.json", ByteLevel([], qwenStyle: false));
        dir.Write("tokenizer_config.json", new JsonObject { ["bos_token"] = "<nope>" });

        var ex = LoadFails(dir);

        Assert.EndsWith("tokenizer_config.json", ex.File, StringComparison.Ordinal);
        Assert.Contains("<nope>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedTokenizerConfig_NamesIt()
    {
        using var dir = new TempCheckpoint();
        dir.Write("tokenizer.json", ByteLevel([], qwenStyle: false));
        dir.Write("tokenizer_config.json", "[1, 2");

        Assert.EndsWith("tokenizer_config.json", LoadFails(dir).File, StringComparison.Ordinal);
    }
}
