using Elastic.Inference.Caching;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.Reference;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Modeling;

/// <summary>A tiny random checkpoint of one family on disk, loaded by the engine and by the reference.</summary>
public sealed class TinyModel : IDisposable
{
    private readonly TempDirectory _directory;

    public TinyModel(ModelFamily family, TensorDType dtype = TensorDType.F32, int shards = 1, int seed = 1234)
    {
        _directory = new TempDirectory($"elastic-{family}");
        TestCheckpoint.WriteTiny(_directory.Path, family, seed, dtype, shards);
        Model = MoeModel.Load(_directory.Path);
        Reference = ReferenceMoeForward.Load(_directory.Path);
    }

    public string Directory => _directory.Path;

    public MoeModel Model { get; }

    public ReferenceMoeForward Reference { get; }

    public ModelConfig Config => Model.Config;

    public KvCacheManager NewCacheManager() => new(Config, 64L << 20);

    /// <summary>Engine logits of every position of <paramref name="tokens"/> in one prefill.</summary>
    public float[] FullLogits(IReadOnlyList<int> tokens)
    {
        using var cache = NewCacheManager().TryAllocate(tokens.Count)!;
        return Model.Transformer.Forward([new ForwardChunk(1, cache, [.. tokens], LogitsWanted.AllTokens)], Model.Experts)[0];
    }

    public int[] RandomTokens(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(Config.VocabSize)).ToArray();
    }

    public void Dispose()
    {
        Model.Dispose();
        _directory.Dispose();
    }
}
