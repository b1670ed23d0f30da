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
}
