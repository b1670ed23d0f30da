using Elastic.Inference.Caching;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.TestCheckpoints;
using TorchSharp;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed unsafe class DecodeAttentionTests
{
    /// <summary>
    /// Head sizes that take the sixteen-keys-at-a-time path (multiples of 16) and one that does not, with lengths
    /// around the block size so both the blocks and the per-key tail are checked (the block path needs AVX-512F, which
    /// this project's machines have).
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(128)]
    public void Scores_EveryKey_IsTheScaledDotProductWithTheQuery(int headDim)
    {
        var random = new Random(headDim);
        const int keysHeld = 100;
        var query = RandomFloats(random, headDim);
        var keys = RandomFloats(random, keysHeld * headDim);
        var scale = 1f / MathF.Sqrt(headDim);
        foreach (var length in new[] { 1, 15, 16, 17, 31, 32, 33, 100 })
        {
            var scores = new float[length + 1];
            scores[length] = 42f;
            fixed (float* q = query)
            fixed (float* k = keys)
            fixed (float* s = scores)
            {
                DecodeAttention.Scores(q, k, length, headDim, scale, s);
            }

            for (var j = 0; j < length; j++)
            {
                var expected = 0.0;
                for (var d = 0; d < headDim; d++)
                {
                    expected += (double)query[d] * keys[(j * headDim) + d];
                }

                Assert.True(Math.Abs((expected * scale) - scores[j]) < 1e-5, $"head {headDim}, length {length}, key {j}: {scores[j]} instead of {expected * scale}");
            }

            Assert.Equal(42f, scores[length]);
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(100)]
    public void ScoresPair_EqualsScoresOfEachQuery(int headDim)
    {
        var random = new Random(headDim);
        const int keysHeld = 41;
        var q0 = RandomFloats(random, headDim);
        var q1 = RandomFloats(random, headDim);
        var keys = RandomFloats(random, keysHeld * headDim);
        foreach (var length in new[] { 1, 7, 8, 9, 16, 41 })
        {
            var single0 = new float[length];
            var single1 = new float[length];
            var pair0 = new float[length];
            var pair1 = new float[length];
            fixed (float* a = q0)
            fixed (float* b = q1)
            fixed (float* k = keys)
            fixed (float* s0 = single0)
            fixed (float* s1 = single1)
            fixed (float* p0 = pair0)
            fixed (float* p1 = pair1)
            {
                DecodeAttention.Scores(a, k, length, headDim, 0.5f, s0);
                DecodeAttention.Scores(b, k, length, headDim, 0.5f, s1);
                DecodeAttention.ScoresPair(a, b, k, length, headDim, 0.5f, p0, p1);
            }

            for (var j = 0; j < length; j++)
            {
                Assert.True(Math.Abs(single0[j] - pair0[j]) < 1e-5 && Math.Abs(single1[j] - pair1[j]) < 1e-5, $"head {headDim}, length {length}, key {j}");
            }
        }
    }

    [Theory]
    [InlineData(4, 2, 32)]
    [InlineData(6, 2, 48)]
    [InlineData(3, 1, 20)]
    public void RunOnProjection_FusedRows_GiveTheBitsAndCachesOfRunOnSeparateTensors(int heads, int kvHeads, int headDim)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var manager = CacheManager(heads, kvHeads, headDim);
        int[] counts = [1, 4, 1];
        var total = counts.Sum();
        var qSize = heads * headDim;
        var kvSize = kvHeads * headDim;
        var qkv = torch.randn([total, qSize + (2 * kvSize)], generator: new torch.Generator(seed: (ulong)headDim));
        var q = qkv.narrow(1, 0, qSize).reshape(total, heads, headDim).contiguous();
        var k = qkv.narrow(1, qSize, kvSize).reshape(total, kvHeads, headDim).contiguous();
        var v = qkv.narrow(1, qSize + kvSize, kvSize).reshape(total, kvHeads, headDim).contiguous();
        var scale = 1f / MathF.Sqrt(headDim);

        // Two steps on each side, so the second attends over what the first cached.
        var fused = counts.Select(c => manager.TryAllocate(2 * c)!).ToArray();
        var separate = counts.Select(c => manager.TryAllocate(2 * c)!).ToArray();
        for (var step = 0; step < 2; step++)
        {
            var fusedOut = torch.full([total, qSize], float.NaN);
            var separateOut = torch.full([total, qSize], float.NaN);
            DecodeAttention.RunOnProjection(qkv, fusedOut, Chunks(fused, counts), layer: 0, heads, kvHeads, headDim, scale);
            DecodeAttention.Run(q, k, v, separateOut, Chunks(separate, counts), layer: 0, heads, kvHeads, headDim, scale);
            TensorAssert.Identical(separateOut, fusedOut, $"step {step}: outputs differ");
            for (var i = 0; i < counts.Length; i++)
            {
                fused[i].Advance(counts[i]);
                separate[i].Advance(counts[i]);
                // Only the written slots: the buffers' tails past Length are uninitialised.
                var (separateKeys, separateValues) = separate[i].Read(0, separate[i].Length);
                var (fusedKeys, fusedValues) = fused[i].Read(0, fused[i].Length);
                TensorAssert.Identical(separateKeys, fusedKeys, $"step {step}, sequence {i}: cached keys");
                TensorAssert.Identical(separateValues, fusedValues, $"step {step}, sequence {i}: cached values");
            }
        }

        static List<(int Row, int Count, SequenceKvCache Cache)> Chunks(SequenceKvCache[] caches, int[] counts)
        {
            var chunks = new List<(int Row, int Count, SequenceKvCache Cache)>();
            var row = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                caches[i].EnsureRoom(counts[i]);
                chunks.Add((row, counts[i], caches[i]));
                row += counts[i];
            }

            return chunks;
        }
    }

    /// <summary>
    /// Whole chunks against an empty cache, each token attending to its chunk's tokens up to itself, for group sizes
    /// that take query heads in pairs (2, 4), a pair and a single (3) and singles (1), and head sizes with and without
    /// whole 32- and 16-float blocks.
    /// </summary>
    [Theory]
    [InlineData(4, 2, 32)]
    [InlineData(6, 2, 48)]
    [InlineData(2, 2, 8)]
    [InlineData(8, 2, 128)]
    [InlineData(3, 1, 20)]
    public void Run_ChunksOfNewTokens_MatchCausalSoftmaxAttention(int heads, int kvHeads, int headDim)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var manager = CacheManager(heads, kvHeads, headDim);
        int[] counts = [5, 1, 3];
        var total = counts.Sum();
        var generator = new torch.Generator(seed: (ulong)((heads * 100) + headDim));
        var q = torch.randn([total, heads, headDim], generator: generator);
        var k = torch.randn([total, kvHeads, headDim], generator: generator);
        var v = torch.randn([total, kvHeads, headDim], generator: generator);
        var output = torch.full([total, heads * headDim], float.NaN);
        var caches = counts.Select(c => manager.TryAllocate(c)!).ToArray();
        for (var i = 0; i < counts.Length; i++)
        {
            caches[i].EnsureRoom(counts[i]);
        }

        var chunks = new List<(int Row, int Count, SequenceKvCache Cache)>();
        var row = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            chunks.Add((row, counts[i], caches[i]));
            row += counts[i];
        }

        var scale = 1f / MathF.Sqrt(headDim);
        DecodeAttention.Run(q, k, v, output, chunks, layer: 0, heads, kvHeads, headDim, scale);

        var qa = q.data<float>().ToArray();
        var ka = k.data<float>().ToArray();
        var va = v.data<float>().ToArray();
        var actual = output.data<float>().ToArray();
        var groups = heads / kvHeads;
        foreach (var (start, count, _) in chunks)
        {
            for (var t = 0; t < count; t++)
            {
                for (var head = 0; head < heads; head++)
                {
                    var kvHead = head / groups;
                    var scores = new double[t + 1];
                    for (var j = 0; j <= t; j++)
                    {
                        for (var d = 0; d < headDim; d++)
                        {
                            scores[j] += (double)qa[((((start + t) * heads) + head) * headDim) + d] * ka[((((start + j) * kvHeads) + kvHead) * headDim) + d] * scale;
                        }
                    }

                    var max = scores.Max();
                    var weights = scores.Select(x => Math.Exp(x - max)).ToArray();
                    var sum = weights.Sum();
                    for (var d = 0; d < headDim; d++)
                    {
                        var expected = 0.0;
                        for (var j = 0; j <= t; j++)
                        {
                            expected += weights[j] / sum * va[((((start + j) * kvHeads) + kvHead) * headDim) + d];
                        }

                        var got = actual[((start + t) * heads * headDim) + (head * headDim) + d];
                        Assert.True(Math.Abs(expected - got) < 1e-4, $"token {start + t}, head {head}, dim {d}: {got} instead of {expected}");
                    }
                }
            }
        }

        foreach (var cache in caches)
        {
            cache.Dispose();
        }
    }

    private static float[] RandomFloats(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];

    // A KV-cache manager for a tiny model with this attention shape.
    private static KvCacheManager CacheManager(int heads, int kvHeads, int headDim)
    {
        var json = TestCheckpoint.TinyConfig(ModelFamily.Qwen3Moe);
        json["num_attention_heads"] = heads;
        json["num_key_value_heads"] = kvHeads;
        json["head_dim"] = headDim;
        return new KvCacheManager(TestCheckpoint.Parse(json), 16L << 20);
    }
}
