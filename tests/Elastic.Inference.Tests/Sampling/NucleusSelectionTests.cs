using Elastic.Inference.Sampling;

namespace Elastic.Inference.Tests.Sampling;

[Trait("Category", "Unit")]
public sealed class NucleusSelectionTests
{
    /// <summary>Against the definition: sort descending, take until the running mass reaches the target.</summary>
    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(20, 0.9)]
    [InlineData(33, 0.3)]
    [InlineData(5000, 0.9)]
    [InlineData(5000, 0.05)]
    [InlineData(5000, 1.0)]
    public void Select_IsTheSmallestMostLikelySetReachingTheTarget(int count, double share)
    {
        var random = new Random(count);
        for (var trial = 0; trial < 20; trial++)
        {
            // Continuous values (no ties) on even trials, few distinct values (many ties) on odd ones.
            var probabilities = Enumerable.Range(0, count)
                .Select(_ => trial % 2 == 0 ? (float)Math.Exp(random.NextDouble() * 8) : random.Next(1, 6))
                .ToArray();
            var order = Enumerable.Range(0, count).ToArray();
            var target = share * probabilities.Sum(p => (double)p);

            var size = NucleusSelection.Select(probabilities, order, count, target);

            var sorted = probabilities.OrderByDescending(p => p).ToArray();
            var needed = 0;
            for (double running = 0; needed < count && running < target; needed++)
            {
                running += sorted[needed];
            }

            var threshold = sorted[Math.Max(0, needed - 1)];
            var nucleus = order[..size];
            Assert.Equal(count, order.Distinct().Count());
            Assert.True(nucleus.Sum(i => (double)probabilities[i]) >= target * (1 - 1e-9) || size == count);
            // Exactly the tokens above the threshold, plus all, some or none of those tied at it.
            Assert.All(nucleus, i => Assert.True(probabilities[i] >= threshold));
            Assert.Equal(probabilities.Count(p => p > threshold), nucleus.Count(i => probabilities[i] > threshold));
            Assert.True(size >= needed, $"{size} tokens selected, {needed} needed");
            Assert.True(size <= needed + probabilities.Count(p => p == threshold), $"{size} tokens selected, {needed} needed");
        }
    }

    [Fact]
    public void Select_TargetAboveAllTheMass_KeepsEveryCandidate()
    {
        float[] probabilities = [0.1f, 0.2f, 0.3f];
        int[] order = [0, 1, 2];

        Assert.Equal(3, NucleusSelection.Select(probabilities, order, 3, target: 5));
    }
}
