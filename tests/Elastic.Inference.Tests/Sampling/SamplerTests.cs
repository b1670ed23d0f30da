using Elastic.Inference.Sampling;

namespace Elastic.Inference.Tests.Sampling;

[Trait("Category", "Unit")]
public sealed class SamplerTests
{
    private static readonly float[] Logits = [2f, 1f, 0.5f, 0f, -1f, -3f];

    [Fact]
    public void Greedy_PicksArgmax()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 0 });
        Assert.Equal(0, sampler.Sample(Logits).TokenId);
    }

    /// <summary>
    /// Greedy argmax against its definition (first index holding a strictly larger value than all before it):
    /// ties, infinities and NaNs anywhere, at lengths around the 16-lane blocks and a whole vocabulary.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(2048)]
    public void ArgMax_IsTheFirstIndexOfTheLargestValue_WithTiesInfinitiesAndNaNs(int length)
    {
        var random = new Random(length);
        for (var trial = 0; trial < 200; trial++)
        {
            // Few distinct values, so that the maximum is often tied.
            var values = Enumerable.Range(0, length).Select(_ => (float)random.Next(-3, 4)).ToArray();
            switch (trial % 5)
            {
                case 1:
                    values[random.Next(length)] = float.PositiveInfinity;
                    break;
                case 2:
                    Array.Fill(values, float.NegativeInfinity);
                    break;
                case 3:
                    values[random.Next(length)] = float.NaN;
                    break;
                case 4:
                    values[0] = float.NaN;
                    break;
            }

            var expected = 0;
            for (var i = 1; i < length; i++)
            {
                if (values[i] > values[expected])
                {
                    expected = i;
                }
            }

            Assert.True(expected == SamplingKernels.ArgMax(values), $"length {length}, trial {trial}: {SamplingKernels.ArgMax(values)} instead of {expected}");
        }
    }

    [Fact]
    public void TopK_One_IsGreedyEvenAtHighTemperature()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 2, TopK = 1, Seed = 5 });
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(0, sampler.Sample(Logits).TokenId));
    }

    [Fact]
    public void TopK_Two_NeverPicksOutsideTheTwoMostLikely()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 2, TopK = 2, Seed = 1 });
        var picks = Enumerable.Range(0, 300).Select(_ => sampler.Sample(Logits).TokenId).ToHashSet();
        Assert.Equal([0, 1], picks.Order());
    }

    /// <summary>Top-k by selection (k ≤ 256) and by sorting (larger k), with and without top-p, over a vocabulary.</summary>
    [Theory]
    [InlineData(50, 1f)]
    [InlineData(50, 0.5f)]
    [InlineData(300, 1f)]
    [InlineData(300, 0.5f)]
    public void TopK_OverAVocabulary_PicksOnlyInsideTheTopKNucleus(int k, float topP)
    {
        var random = new Random(k);
        var logits = Enumerable.Range(0, 3000).Select(_ => (float)(random.NextDouble() * 6)).ToArray();
        var sampler = new Sampler(new SamplingParams { Temperature = 1, TopK = k, TopP = topP, Seed = 4 });

        var ordered = logits.Select((l, i) => (p: Math.Exp(l - 6), i)).OrderByDescending(x => x.p).Take(k).ToArray();
        var mass = ordered.Sum(x => x.p);
        var allowed = new HashSet<int>();
        double cumulative = 0;
        foreach (var (p, i) in ordered)
        {
            allowed.Add(i);
            cumulative += p;
            if (cumulative >= topP * mass)
            {
                break;
            }
        }

        var picks = Enumerable.Range(0, 3000).Select(_ => sampler.Sample(logits).TokenId).ToList();
        Assert.All(picks, p => Assert.Contains(p, allowed));
        Assert.True(picks.Distinct().Count() > allowed.Count / 2, $"{picks.Distinct().Count()} distinct picks of {allowed.Count} allowed");
    }

    [Fact]
    public void TopP_SmallNucleus_KeepsOnlyTokensInsideIt()
    {
        // softmax(Logits) ≈ [0.54, 0.20, 0.12, 0.07, 0.03, 0.004]: top_p 0.7 keeps tokens 0 and 1.
        var sampler = new Sampler(new SamplingParams { Temperature = 1, TopP = 0.7f, Seed = 2 });
        var picks = Enumerable.Range(0, 500).Select(_ => sampler.Sample(Logits).TokenId).ToHashSet();
        Assert.Equal([0, 1], picks.Order());
    }

    [Fact]
    public void TopP_LargeVocabulary_MatchesFullSortNucleus()
    {
        var random = new Random(3);
        var logits = Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * 8)).ToArray();
        var sampler = new Sampler(new SamplingParams { Temperature = 1, TopP = 0.3f, Seed = 9 });

        var exp = logits.Select(l => Math.Exp(l - 8)).ToArray();
        var total = exp.Sum();
        var ordered = exp.Select((p, i) => (p: p / total, i)).OrderByDescending(x => x.p).ToArray();
        var nucleus = new HashSet<int>();
        double cumulative = 0;
        foreach (var (p, i) in ordered)
        {
            nucleus.Add(i);
            cumulative += p;
            if (cumulative >= 0.3)
            {
                break;
            }
        }

        var picks = Enumerable.Range(0, 2000).Select(_ => sampler.Sample(logits).TokenId).ToList();
        Assert.All(picks, p => Assert.Contains(p, nucleus));
        Assert.True(picks.Distinct().Count() > nucleus.Count / 2);
    }

    [Fact]
    public void Seed_Same_RepeatsSequence()
    {
        int[] Draw() => Enumerable.Range(0, 40).Select(_ => 0).Select(new Func<int, int>(new SeqDrawer(7).Next)).ToArray();
        Assert.Equal(Draw(), Draw());
    }

    [Fact]
    public void FrequencyPenalty_DiscouragesRepeats()
    {
        var flat = new float[] { 1f, 1f, 1f, 1f };
        var greedyPenalised = new Sampler(new SamplingParams { Temperature = 0, FrequencyPenalty = 1f });
        var picks = Enumerable.Range(0, 4).Select(_ => greedyPenalised.Sample(flat).TokenId).ToArray();
        Assert.Equal([0, 1, 2, 3], picks);
    }

    [Fact]
    public void PresencePenalty_Negative_EncouragesRepeats()
    {
        var logits = new float[] { 1f, 1.2f, 1f };
        var sampler = new Sampler(new SamplingParams { Temperature = 0, PresencePenalty = -1f });
        Assert.All(Enumerable.Range(0, 5), _ => Assert.Equal(1, sampler.Sample(logits).TokenId));
    }

    [Fact]
    public void Logprobs_AreRawModelLogProbabilities()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 0, Logprobs = 2 });
        var token = sampler.Sample(Logits);

        var logZ = Math.Log(Logits.Sum(l => Math.Exp(l)));
        Assert.Equal(2 - logZ, token.Logprob, 1e-5);
        Assert.Equal([0, 1], token.TopLogprobs.Select(t => t.TokenId));
        Assert.Equal(1 - logZ, token.TopLogprobs[1].Logprob, 1e-5);
    }

    [Fact]
    public void Sample_ExtremeLogits_NeverReturnsOutOfRange()
    {
        var logits = new float[] { -1e30f, -1e30f, 80f, -1e30f };
        var sampler = new Sampler(new SamplingParams { Temperature = 0.01f, TopP = 0.5f, Seed = 1 });
        Assert.Equal(2, sampler.Sample(logits).TokenId);
    }

    private sealed class SeqDrawer(long seed)
    {
        private readonly Sampler _sampler = new(new SamplingParams { Temperature = 1, Seed = seed });

        public int Next(int unused) => _sampler.Sample(Logits).TokenId;
    }
}
