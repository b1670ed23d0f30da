using Elastic.Inference.Sampling;

namespace Elastic.Inference.Tests.Sampling;

[Trait("Category", "Unit")]
public sealed class TopKSelectionTests
{
    [Fact]
    public void Select_WritesTheLargestInDescendingOrderWithTiesToTheLowerIndex()
    {
        float[] scores = [0.5f, 3f, -1f, 3f, 7f, float.NaN, 2f];
        var ids = new int[4];
        var top = new float[4];

        var count = TopKSelection.Select(scores, ids, top);

        Assert.Equal(4, count);
        Assert.Equal([4, 1, 3, 6], ids);
        Assert.Equal([7f, 3f, 3f, 2f], top);
    }

    [Fact]
    public void Select_ReturnsFewerWhenTheSpanIsShorterThanK()
    {
        var ids = new int[5];
        var top = new float[5];

        var count = TopKSelection.Select([1f, float.NaN, 4f], ids, top);

        Assert.Equal(3, count);
        Assert.Equal([2, 0, 1], ids[..3]);
        Assert.Equal([4f, 1f, float.NegativeInfinity], top[..3]);
    }

    /// <summary>Whole vocabularies (blocks of 16 compared at once once the window is full) against a stable sort.</summary>
    [Theory]
    [InlineData(17, 5)]
    [InlineData(2048, 50)]
    [InlineData(5000, 256)]
    [InlineData(40, 40)]
    public void Select_OverLongSpans_MatchesAStableSortWithTiesAndNaNs(int length, int k)
    {
        var random = new Random(length * 31 + k);
        for (var trial = 0; trial < 20; trial++)
        {
            // Few distinct values (many ties), some NaNs and infinities.
            var scores = Enumerable.Range(0, length).Select(_ => (float)random.Next(-20, 20)).ToArray();
            scores[random.Next(length)] = float.NaN;
            scores[random.Next(length)] = float.PositiveInfinity;
            scores[random.Next(length)] = float.NegativeInfinity;
            var ids = new int[k];
            var top = new float[k];

            var count = TopKSelection.Select(scores, ids, top);

            var expected = scores.Select((v, i) => (v: float.IsNaN(v) ? float.NegativeInfinity : v, i))
                .OrderByDescending(x => x.v).ThenBy(x => x.i).Take(k).ToArray();
            Assert.Equal(expected.Length, count);
            Assert.Equal(expected.Select(x => x.i), ids[..count]);
            Assert.Equal(expected.Select(x => x.v), top[..count]);
        }
    }
}
