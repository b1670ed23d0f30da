using Elastic.Inference.Sampling;

namespace Elastic.Inference.Tests.Sampling;

/// <summary>The vectorised sampling loops against their scalar definitions, at lengths around the 16-lane blocks.</summary>
[Trait("Category", "Unit")]
public sealed class SamplingKernelsTests
{
    public static TheoryData<int> Lengths => [1, 15, 16, 17, 33, 100, 2048];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Max_IsTheLargestNonNaN(int length)
    {
        var random = new Random(length);
        for (var trial = 0; trial < 50; trial++)
        {
            var scores = Scores(random, length, trial);
            var finite = scores.Where(v => !float.IsNaN(v)).ToArray();

            Assert.Equal(finite.Length == 0 ? float.NegativeInfinity : finite.Max(), SamplingKernels.Max(scores));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Exp_IsExpOfScaledScores_ZeroForNaN_AndReturnsTheirSum(int length)
    {
        var random = new Random(length + 1);
        var scores = Scores(random, length, trial: 3);
        var max = SamplingKernels.Max(scores);
        var probabilities = new float[length];

        var total = SamplingKernels.Exp(scores, probabilities, max, inverseTemperature: 0.7f);

        for (var i = 0; i < length; i++)
        {
            var expected = float.IsNaN(scores[i]) ? 0 : Math.Exp((scores[i] - max) * 0.7);
            Assert.Equal(expected, probabilities[i], 1e-6);
        }

        Assert.Equal(probabilities.Sum(p => (double)p), total, 1e-5);
    }

    [Fact]
    public void DrawByMass_PicksTheEntryWhoseRunningSumFirstExceedsTheDraw()
    {
        var random = new Random(5);
        var probabilities = Enumerable.Range(0, 70).Select(_ => random.Next(4) == 0 ? 0f : (float)random.NextDouble()).ToArray();
        var total = probabilities.Sum(p => (double)p);
        for (var trial = 0; trial < 500; trial++)
        {
            var uniform = random.NextDouble();
            var expected = 0;
            for (double running = 0; expected < probabilities.Length; expected++)
            {
                running += probabilities[expected];
                if (running > uniform * total)
                {
                    break;
                }
            }

            var drawn = SamplingKernels.DrawByMass(probabilities, total, uniform);

            // Summing by blocks can move a draw that lands within rounding of a boundary to its neighbour, never
            // onto an entry with no mass.
            Assert.True(drawn == expected || Math.Abs(drawn - expected) == 1, $"{drawn} instead of {expected}");
            Assert.True(probabilities[drawn] > 0);
        }
    }

    [Fact]
    public void DrawByMass_PastTheEnd_ReturnsTheLastEntryWithMass()
    {
        float[] probabilities = [.. Enumerable.Repeat(0.5f, 20), 0f, 0f];

        Assert.Equal(19, SamplingKernels.DrawByMass(probabilities, 10, uniform: 1.5));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LogSumExp_MatchesTheDoublePrecisionDefinition(int length)
    {
        var scores = Scores(new Random(length + 2), length, trial: 3);
        var max = scores.Where(v => !float.IsNaN(v)).DefaultIfEmpty(float.NegativeInfinity).Max();
        var expected = max + Math.Log(scores.Where(v => !float.IsNaN(v)).Sum(v => Math.Exp(v - max)));

        Assert.Equal(expected, SamplingKernels.LogSumExp(scores), 1e-4);
    }

    [Fact]
    public void Draws_FollowTheSoftmax_OverAVocabularyOfWholeBlocks()
    {
        // Temperature 1, no filter: the whole-vocabulary path (exp, block sums, draw by mass), against softmax.
        var random = new Random(11);
        var logits = Enumerable.Range(0, 48).Select(_ => (float)(random.NextDouble() * 4)).ToArray();
        var sampler = new Sampler(new SamplingParams { Temperature = 1, Seed = 3 });
        const int draws = 60_000;
        var counts = new int[logits.Length];
        for (var i = 0; i < draws; i++)
        {
            counts[sampler.Sample(logits).TokenId]++;
        }

        var z = logits.Sum(l => Math.Exp(l));
        for (var i = 0; i < logits.Length; i++)
        {
            var p = Math.Exp(logits[i]) / z;
            var sigma = Math.Sqrt(draws * p * (1 - p));
            Assert.True(Math.Abs(counts[i] - (draws * p)) < 5 * sigma, $"token {i}: {counts[i]} draws, expected {draws * p:F0} ± {sigma:F0}");
        }
    }

    // Random scores; trials cycle through a NaN somewhere, a NaN first, one huge score, and all negative infinity.
    private static float[] Scores(Random random, int length, int trial)
    {
        var scores = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 20) - 10)).ToArray();
        switch (trial % 5)
        {
            case 1:
                scores[random.Next(length)] = float.NaN;
                break;
            case 2:
                scores[0] = float.NaN;
                break;
            case 3:
                scores[random.Next(length)] = 1e30f;
                break;
            case 4:
                Array.Fill(scores, float.NegativeInfinity);
                break;
        }

        return scores;
    }
}
