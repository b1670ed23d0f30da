using Elastic.Cli.Bench.Serve;

namespace Elastic.Cli.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class ArrivalScheduleTests
{
    [Theory]
    [InlineData(10.0, 1.0)]
    [InlineData(4.0, 0.5)]
    [InlineData(25.0, 3.0)]
    public void MeanGap_IsOneOverRate_WhateverTheBurstiness(double rate, double burstiness)
    {
        const int n = 20_000;
        var offsets = ArrivalSchedule.Offsets(n, rate, burstiness, new Random(42));

        var gaps = Enumerable.Range(1, n - 1).Select(i => (offsets[i] - offsets[i - 1]).TotalSeconds).ToArray();
        var mean = gaps.Average();
        var cv2 = gaps.Sum(g => (g - mean) * (g - mean)) / gaps.Length / (mean * mean);

        Assert.Equal(TimeSpan.Zero, offsets[0]);
        Assert.InRange(mean, 0.97 / rate, 1.03 / rate);
        // A gamma's squared coefficient of variation is 1/shape: burstier schedules are more uneven.
        Assert.InRange(cv2, 0.9 / burstiness, 1.1 / burstiness);
        Assert.All(gaps, g => Assert.True(g >= 0));
    }

    [Fact]
    public void SameSeed_SameSchedule()
    {
        Assert.Equal(ArrivalSchedule.Offsets(50, 3, 1, new Random(7)), ArrivalSchedule.Offsets(50, 3, 1, new Random(7)));
        Assert.NotEqual(ArrivalSchedule.Offsets(50, 3, 1, new Random(7)), ArrivalSchedule.Offsets(50, 3, 1, new Random(8)));
    }

    [Fact]
    public void InfiniteRate_SendsEverythingAtOnce() =>
        Assert.All(ArrivalSchedule.Offsets(10, double.PositiveInfinity, 1, new Random(1)), o => Assert.Equal(TimeSpan.Zero, o));

    [Fact]
    public void Prompts_AreSeeded_WithRequestedLengths()
    {
        var ids = new PromptGenerator(PromptMode.Ids, 32, 8, 0, 100, new Random(3)).Next();
        var again = new PromptGenerator(PromptMode.Ids, 32, 8, 0, 100, new Random(3)).Next();
        var words = new PromptGenerator(PromptMode.Words, 20, 8, 0, 100, new Random(3)).Next();

        Assert.Equal(32, ids.TokenIds!.Length);
        Assert.All(ids.TokenIds, id => Assert.InRange(id, 0, 99));
        Assert.Equal(ids.TokenIds, again.TokenIds);
        Assert.Equal(20, words.Text!.Split(' ').Length);
        Assert.Equal(8, words.OutputTokens);
    }

    [Fact]
    public void RangeRatio_KeepsLengthsWithinBounds()
    {
        var generator = new PromptGenerator(PromptMode.Ids, 100, 50, 0.2, 10, new Random(5));
        var prompts = Enumerable.Range(0, 500).Select(_ => generator.Next()).ToArray();

        Assert.All(prompts, p => Assert.InRange(p.PromptTokens, 80, 120));
        Assert.All(prompts, p => Assert.InRange(p.OutputTokens, 40, 60));
        Assert.True(prompts.Select(p => p.PromptTokens).Distinct().Count() > 10);
    }
}
