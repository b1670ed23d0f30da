using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class ForwardPassTests
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<ModelFamily> Families => [ModelFamily.Mixtral, ModelFamily.Qwen3Moe, ModelFamily.OlMoe, ModelFamily.Qwen2Moe];

    /// <summary>Every family with a short prompt (the engine's chunk kernel) and a long one (libtorch's batched attention).</summary>
    public static TheoryData<ModelFamily, int> FamiliesAndPromptLengths()
    {
        var data = new TheoryData<ModelFamily, int>();
        foreach (var family in new[] { ModelFamily.Mixtral, ModelFamily.Qwen3Moe, ModelFamily.OlMoe, ModelFamily.Qwen2Moe })
        {
            data.Add(family, 13);
            data.Add(family, DecodeAttention.MaxChunkTokens + 26);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FamiliesAndPromptLengths))]
    public void Forward_AllFamilies_MatchesReferenceLogits(ModelFamily family, int promptTokens)
    {
        using var tiny = new TinyModel(family);
        var tokens = tiny.RandomTokens(promptTokens, seed: 7);

        var engine = tiny.FullLogits(tokens);
        var reference = tiny.Reference.Logits(tokens);

        AssertClose(reference.SelectMany(r => r).ToArray(), engine);
    }

    [Theory]
    [InlineData(ModelFamily.Mixtral, TensorDType.BF16, 3)]
    [InlineData(ModelFamily.Qwen3Moe, TensorDType.F16, 2)]
    public void Forward_HalfPrecisionShardedCheckpoint_MatchesReference(ModelFamily family, TensorDType dtype, int shards)
    {
        using var tiny = new TinyModel(family, dtype, shards);
        var tokens = tiny.RandomTokens(9, seed: 3);

        AssertClose(tiny.Reference.Logits(tokens).SelectMany(r => r).ToArray(), tiny.FullLogits(tokens));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void IncrementalDecode_WithKvCache_EqualsFullRecomputation(ModelFamily family)
    {
        using var tiny = new TinyModel(family);
        // Longer than the chunk kernel takes, so the full pass and the prefix run libtorch's attention, the steps the kernel.
        var tokens = tiny.RandomTokens(DecodeAttention.MaxChunkTokens + 8, seed: 11);
        var prefix = DecodeAttention.MaxChunkTokens + 2;
        var full = tiny.FullLogits(tokens);
        var vocab = tiny.Config.VocabSize;

        using var cache = tiny.NewCacheManager().TryAllocate(tokens.Length)!;
        var prefill = tiny.Model.Transformer.Forward([new ForwardChunk(1, cache, tokens[..prefix], LogitsWanted.LastToken)], tiny.Model.Experts)[0];
        AssertClose(full.AsSpan((prefix - 1) * vocab, vocab).ToArray(), prefill);
        for (var i = prefix; i < tokens.Length; i++)
        {
            var step = tiny.Model.Transformer.Forward([new ForwardChunk(1, cache, [tokens[i]], LogitsWanted.LastToken)], tiny.Model.Experts)[0];
            AssertClose(full.AsSpan(i * vocab, vocab).ToArray(), step);
        }

        Assert.Equal(tokens.Length, cache.Length);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Batch_MixedLengthSequences_EqualsEachAlone(ModelFamily family)
    {
        using var tiny = new TinyModel(family);
        var manager = tiny.NewCacheManager();
        int[][] prompts = [tiny.RandomTokens(7, 1), tiny.RandomTokens(2, 2), tiny.RandomTokens(11, 3)];
        var alone = prompts.Select(p => tiny.FullLogits(p)).ToArray();

        // Prefill the first two, then a step mixing a decode token, a prefill continuation and a new prompt.
        var caches = prompts.Select(p => manager.TryAllocate(p.Length + 1)!).ToArray();
        var first = tiny.Model.Transformer.Forward(
            [new ForwardChunk(1, caches[0], prompts[0][..6], LogitsWanted.AllTokens), new ForwardChunk(2, caches[1], prompts[1][..1], LogitsWanted.AllTokens)],
            tiny.Model.Experts);
        var second = tiny.Model.Transformer.Forward(
            [
                new ForwardChunk(1, caches[0], prompts[0][6..], LogitsWanted.AllTokens),
                new ForwardChunk(2, caches[1], prompts[1][1..], LogitsWanted.AllTokens),
                new ForwardChunk(3, caches[2], prompts[2], LogitsWanted.AllTokens),
            ],
            tiny.Model.Experts);

        AssertClose(alone[0], [.. first[0], .. second[0]]);
        AssertClose(alone[1], [.. first[1], .. second[1]]);
        AssertClose(alone[2], second[2]);
        foreach (var c in caches)
        {
            c.Dispose();
        }

        Assert.Equal(0, manager.ReservedTokens);
        Assert.Equal(0, manager.AllocatedBytes);
    }

    [Fact]
    public void DecodeStep_LongContextsSplitOverThreads_EqualsEachAlone()
    {
        using var tiny = new TinyModel(ModelFamily.Mixtral);
        var manager = tiny.NewCacheManager();
        const int sequences = 20;
        const int length = 120;
        var c = tiny.Config;
        var floatsRead = (long)sequences * length * c.NumKvHeads * c.HeadDim * 2;
        Assert.True(floatsRead >= DecodeAttention.SmallAttentionFloats, $"the step must read enough of the cache to split attention ({floatsRead} floats)");
        var prompts = Enumerable.Range(0, sequences).Select(i => tiny.RandomTokens(length, 100 + i)).ToArray();
        var caches = prompts.Select(p => manager.TryAllocate(p.Length)!).ToArray();
        for (var i = 0; i < sequences; i++)
        {
            tiny.Model.Transformer.Forward([new ForwardChunk(i, caches[i], prompts[i][..^1], LogitsWanted.LastToken)], tiny.Model.Experts);
        }

        var step = tiny.Model.Transformer.Forward(
            [.. Enumerable.Range(0, sequences).Select(i => new ForwardChunk(i, caches[i], prompts[i][^1..], LogitsWanted.LastToken))], tiny.Model.Experts);

        var vocab = c.VocabSize;
        for (var i = 0; i < sequences; i++)
        {
            AssertClose(tiny.FullLogits(prompts[i]).AsSpan((length - 1) * vocab, vocab).ToArray(), step[i]);
            Assert.Equal(length, caches[i].Length);
            caches[i].Dispose();
        }
    }

    [Fact]
    public void Forward_TokenOutsideVocabulary_ThrowsNamingTheToken()
    {
        using var tiny = new TinyModel(ModelFamily.Mixtral);
        using var cache = tiny.NewCacheManager().TryAllocate(4)!;

        var error = Assert.Throws<ArgumentException>(() =>
            tiny.Model.Transformer.Forward([new ForwardChunk(1, cache, [1, tiny.Config.VocabSize], LogitsWanted.LastToken)], tiny.Model.Experts));

        Assert.Contains($"token id {tiny.Config.VocabSize}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, cache.Length);
    }

    internal static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = MathF.Abs(expected[i] - actual[i]);
            if (!(diff <= worst))
            {
                worst = diff;
                at = i;
            }
        }

        Assert.True(worst <= Tolerance, $"max |diff| {worst} at {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)})");
    }
}
