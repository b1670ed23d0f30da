using System.Text.Json.Nodes;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Checkpoints;

[Trait("Category", "Unit")]
public sealed class CheckpointLoaderErrorTests
{
    [Fact]
    public void Load_UnsupportedModelType_NamesTheTypeAndFile()
    {
        using var dir = new TempDirectory();
        var config = TestCheckpoint.TinyConfig(ModelFamily.Mixtral);
        TestCheckpoint.Write(dir.Path, config, 1);
        config["model_type"] = "llama";
        File.WriteAllText(dir.Combine("config.json"), config.ToJsonString());

        var error = Assert.Throws<CheckpointException>(() => MoeModel.Load(dir.Path));

        Assert.Contains("unsupported model_type 'llama'", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("config.json", error.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingTensor_NamesTensorAndFile()
    {
        using var dir = new TempDirectory();
        var config = TestCheckpoint.TinyConfig(ModelFamily.OlMoe);
        TestCheckpoint.Write(dir.Path, config, 1);
        var name = WeightNames.Expert(TestCheckpoint.Parse(config), 1, 2).Down;
        RewriteWithout(dir.Combine("model.safetensors"), name, reshape: null);

        var error = Assert.Throws<CheckpointException>(() => MoeModel.Load(dir.Path));

        Assert.Equal(name, error.Tensor);
        Assert.Contains("model.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MisShapedTensor_NamesBothShapes()
    {
        using var dir = new TempDirectory();
        var config = TestCheckpoint.TinyConfig(ModelFamily.Qwen2Moe);
        TestCheckpoint.Write(dir.Path, config, 1);
        var name = WeightNames.Attention(0, "k_proj.weight");
        RewriteWithout(dir.Combine("model.safetensors"), name, reshape: shape => [shape[0] / 2, shape[1] * 2]);

        var error = Assert.Throws<CheckpointException>(() => MoeModel.Load(dir.Path));

        Assert.Equal(name, error.Tensor);
        Assert.Contains("config.json implies", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedFile_NamesFileAndFirstTensorCut()
    {
        using var dir = new TempDirectory();
        TestCheckpoint.Write(dir.Path, TestCheckpoint.TinyConfig(ModelFamily.Mixtral), 1);
        var path = dir.Combine("model.safetensors");
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 100);
        }

        var error = Assert.Throws<CheckpointException>(() => MoeModel.Load(dir.Path));

        Assert.Equal(path, error.File);
        Assert.NotNull(error.Tensor);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingShardOfIndex_NamesTheShard()
    {
        using var dir = new TempDirectory();
        TestCheckpoint.Write(dir.Path, TestCheckpoint.TinyConfig(ModelFamily.Qwen3Moe), 1, shards: 3);
        var shard = Directory.GetFiles(dir.Path, "model-00002-of-00003.safetensors").Single();
        File.Delete(shard);

        var error = Assert.Throws<CheckpointException>(() => MoeModel.Load(dir.Path));

        Assert.Equal(shard, error.File);
    }

    [Fact]
    public void Load_NoConfig_SaysConfigJsonNotFound()
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<CheckpointException>(() => MoeModel.Load(dir.Path));

        Assert.Contains("config.json not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TopKAboveExperts_NamesBothSettings()
    {
        var config = TestCheckpoint.TinyConfig(ModelFamily.Mixtral);
        config["num_experts_per_tok"] = 9;

        var error = Assert.Throws<CheckpointException>(() => ModelConfig.Parse(config));

        Assert.Contains("num_experts_per_tok (9)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsupportedRopeScaling_IsRefused()
    {
        var config = TestCheckpoint.TinyConfig(ModelFamily.Qwen3Moe);
        config["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };

        var error = Assert.Throws<CheckpointException>(() => ModelConfig.Parse(config));

        Assert.Contains("'yarn' is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RopeThetaInRopeParameters_IsRead()
    {
        var config = TestCheckpoint.TinyConfig(ModelFamily.Qwen2Moe);
        config.Remove("rope_theta");
        config["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 123456.0 };

        Assert.Equal(123456.0, ModelConfig.Parse(config).RopeTheta);
    }

    /// <summary>Rewrites a safetensors file without one tensor, or with that tensor given another shape.</summary>
    private static void RewriteWithout(string path, string name, Func<long[], long[]>? reshape)
    {
        List<(string, long[], float[])> tensors;
        using (var file = SafeTensorsFile.Open(path))
        {
            tensors = file.Tensors.Values
                .Where(t => reshape is not null || t.Name != name)
                .Select(t => (t.Name, t.Name == name && reshape is not null ? reshape(t.Shape) : t.Shape, file.ReadFloat32(t)))
                .ToList();
        }

        SafeTensorsWriter.Write(path, tensors);
    }
}
