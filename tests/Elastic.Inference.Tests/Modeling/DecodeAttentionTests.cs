using Elastic.Inference.Modeling;

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

    private static float[] RandomFloats(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];
}
