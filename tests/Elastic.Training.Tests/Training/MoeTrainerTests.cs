using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Training.Training;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Elastic.Training.Tests.Training;

[Trait("Category", "Integration")]
public sealed class MoeTrainerTests
{
    private static readonly TrainingOptions Tiny = new()
    {
        Steps = 30,
        WarmupSteps = 5,
        BatchSize = 4,
        SequenceLength = 32,
        HiddenSize = 32,
        Layers = 2,
        Heads = 4,
        KvHeads = 2,
        Experts = 4,
        ExpertIntermediateSize = 48,
        VocabSize = 320,
        MaxPositions = 64,
        CorpusBytes = 60_000,
        PeakLearningRate = 1e-2,
        LogEvery = 10,
    };

    [Fact]
    public void Train_TinyConfig_LossGoesDownAndCheckpointServes()
    {
        using var dir = new TempDirectory();
        var output = Path.Combine(dir.Path, "tiny");

        var result = new MoeTrainer(Tiny, NullLogger.Instance).Train(output);

        Assert.Equal(30, result.Steps);
        Assert.True(result.FinalLoss < result.FirstLoss - 1.0, $"loss {result.FirstLoss:F3} → {result.FinalLoss:F3}");
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), $"{file} missing");
        }

        Assert.False(Directory.Exists(output + ".training"));
        using var served = ServedModel.Load(output);
        Assert.Equal("mixtral", served.Config.ModelType);
        Assert.Contains("<|assistant|>", served.ChatTemplate.Render([new Inference.Chat.ChatMessage("user", "hi")], true), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_SameSeed_GivesIdenticalCheckpoint()
    {
        using var dir = new TempDirectory();
        var options = Tiny with { Steps = 6, WarmupSteps = 2 };
        new MoeTrainer(options, NullLogger.Instance).Train(Path.Combine(dir.Path, "a"));
        new MoeTrainer(options, NullLogger.Instance).Train(Path.Combine(dir.Path, "b"));

        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "a", "tokenizer.json")), File.ReadAllBytes(Path.Combine(dir.Path, "b", "tokenizer.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "a", "model.safetensors")), File.ReadAllBytes(Path.Combine(dir.Path, "b", "model.safetensors")));
    }

    [Fact]
    public void TrainableModel_ExportedWeights_GiveSameLogitsInTheEngine()
    {
        using var dir = new TempDirectory();
        var output = Path.Combine(dir.Path, "m");
        new MoeTrainer(Tiny with { Steps = 3, WarmupSteps = 1 }, NullLogger.Instance).Train(output);
        using var served = ServedModel.Load(output);
        using var trainable = new TrainableMoe(served.Config, seed: 5);
        TrainableFromCheckpoint(trainable, output);
        int[] tokens = [3, 17, 42, 99, 7, 250, 11, 64];

        float[] expected;
        using (torch.no_grad())
        {
            var (logits, _) = trainable.forward(torch.tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]));
            expected = logits.contiguous().data<float>().ToArray();
        }

        using var cache = new Inference.Caching.KvCacheManager(served.Config, 1 << 20).TryAllocate(tokens.Length)!;
        var actual = served.Model.Transformer.Forward([new ForwardChunk(1, cache, tokens, LogitsWanted.AllTokens)], served.Model.Experts)[0];

        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual).Max(p => MathF.Abs(p.First - p.Second)) < 1e-4f);
    }

    [Fact]
    public void LearningRate_WarmsUpThenDecaysToFloor()
    {
        var trainer = new MoeTrainer(Tiny with { Steps = 100, WarmupSteps = 10, PeakLearningRate = 1e-3, MinLearningRateRatio = 0.1 }, NullLogger.Instance);

        Assert.Equal(1e-4, trainer.LearningRate(1), 9);
        Assert.Equal(1e-3, trainer.LearningRate(10), 9);
        Assert.True(trainer.LearningRate(50) < 1e-3 && trainer.LearningRate(50) > 1e-4);
        Assert.Equal(1e-4, trainer.LearningRate(100), 9);
    }

    [Fact]
    public void Validate_BadShape_NamesTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => (Tiny with { HiddenSize = 30 }).Validate());
        Assert.Equal("Heads", error.ParamName);
    }

    private static void TrainableFromCheckpoint(TrainableMoe model, string directory)
    {
        var weights = TestCheckpoint.ReadAllWeights(directory);
        var named = model.NamedWeights().ToList();
        Assert.Equal(model.parameters().Count(), named.Count);
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in named)
        {
            tensor.copy_(torch.tensor(weights[name], tensor.shape));
        }
    }
}
