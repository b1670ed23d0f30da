using Elastic.Inference.Experts;
using Elastic.Inference.Tracing;

namespace Elastic.Inference.Tests.Tracing;

[Trait("Category", "Unit")]
public sealed class RoutingStatisticsTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void ShiftByOnePattern_GivesPermutationConditional()
    {
        const int experts = 4;
        var collector = new RoutingStatisticsCollector(experts);
        var rows = Origins(sequence: 1, count: 8);
        collector.OnLayerRouted(0, rows, Route(0, experts, 1, [.. Enumerable.Range(0, 8).Select(t => (long)(t % experts))]));
        collector.OnLayerRouted(0, rows, Route(1, experts, 1, [.. Enumerable.Range(0, 8).Select(t => (long)((t + 1) % experts))]));

        var pair = Assert.Single(collector.Snapshot().LayerPairs);

        Assert.Equal((0, 1, 8L), (pair.FromLayer, pair.ToLayer, pair.Tokens));
        for (var i = 0; i < experts; i++)
        {
            for (var j = 0; j < experts; j++)
            {
                var expected = j == (i + 1) % experts ? 1.0 : 0.0;
                Assert.Equal(expected, pair.Conditional[i][j]);
                Assert.Equal(expected * 2, pair.Counts[i][j]);
            }
        }

        Assert.Equal(1.0, pair.Concentration.MeanMaxConditional);
        Assert.Equal(1.0, pair.Concentration.NormalisedConcentration);
        Assert.Equal(0.25, pair.Concentration.UniformBaseline);
        Assert.Equal(0.0, pair.Concentration.MeanNormalisedRowEntropy);
    }

    [Fact]
    public void TopTwo_CountsEveryCombinationAndNormalisesRows()
    {
        const int experts = 4;
        var collector = new RoutingStatisticsCollector(experts);
        var rows = Origins(sequence: 7, count: 2);
        collector.OnLayerRouted(3, rows, Route(0, experts, 2, [0, 1, 0, 2]));
        collector.OnLayerRouted(3, rows, Route(1, experts, 2, [2, 3, 2, 1]));

        var pair = Assert.Single(collector.Snapshot().LayerPairs);

        long[][] expectedCounts =
        [
            [0, 1, 2, 1],
            [0, 0, 1, 1],
            [0, 1, 1, 0],
            [0, 0, 0, 0],
        ];
        Assert.Equal(expectedCounts, pair.Counts.Select(r => r.ToArray()).ToArray());
        Assert.Equal([0, 0.25, 0.5, 0.25], pair.Conditional[0]);
        Assert.Equal([0, 0, 0.5, 0.5], pair.Conditional[1]);
        Assert.Equal([0, 0.5, 0.5, 0], pair.Conditional[2]);
        Assert.Equal([0, 0, 0, 0], pair.Conditional[3]);
        Assert.Equal(2, pair.Tokens);

        // Rows with data: max 0.5 each; top-2 caps max_j P(j|i) at 1/2.
        Assert.Equal(0.5, pair.Concentration.MeanMaxConditional, Tolerance);
        Assert.Equal(0.5, pair.Concentration.Ceiling);
        Assert.Equal(1.0, pair.Concentration.NormalisedConcentration, Tolerance);
    }

    [Fact]
    public void Load_FractionsAndBalanceAreExact()
    {
        var collector = new RoutingStatisticsCollector(4);
        collector.OnLayerRouted(0, Origins(1, 4), Route(5, 4, 2, [0, 1, 0, 2, 0, 3, 0, 1]));

        var stats = collector.Snapshot();
        var load = Assert.Single(stats.Layers);

        Assert.Equal((1, 4, 2), (stats.NumLayers, stats.NumExperts, stats.TopK));
        Assert.Equal([5], stats.SparseLayers);
        Assert.Equal(4, load.Tokens);
        Assert.Equal([4L, 2, 1, 1], load.Counts);
        Assert.Equal([0.5, 0.25, 0.125, 0.125], load.Fractions);
        Assert.Equal(2.0, load.Balance.MaxOverMean, Tolerance);
        Assert.Equal(Math.Sqrt(1.5) / 2, load.Balance.CoefficientOfVariation, Tolerance);
        Assert.Equal(0.875, load.Balance.NormalisedEntropy, Tolerance); // 1.75 bits of a possible 2
        Assert.Empty(stats.LayerPairs);
    }

    [Fact]
    public void PerfectBalance_HasUnitRatioZeroVariationFullEntropy()
    {
        var balance = LoadBalance.FromCounts([3, 3, 3]);

        Assert.Equal(1.0, balance.MaxOverMean, Tolerance);
        Assert.Equal(0.0, balance.CoefficientOfVariation, Tolerance);
        Assert.Equal(1.0, balance.NormalisedEntropy, Tolerance);
    }

    [Fact]
    public void Labels_SplitUsageByDomain_AndUnlabelledRowsCountSeparately()
    {
        var collector = new RoutingStatisticsCollector(3);
        collector.Label(1, "json");
        collector.Label(2, "arithmetic");
        RowOrigin[] rows = [new(1, 0), new(1, 1), new(2, 0), new(3, 0)];
        collector.OnLayerRouted(0, rows, Route(0, 3, 1, [0, 1, 2, 2]));

        var domains = collector.Snapshot().Domains;

        Assert.Equal(["arithmetic", "json", RoutingStatisticsCollector.Unlabelled], domains.Select(d => d.Label));
        var json = Assert.Single(domains[1].Layers);
        Assert.Equal(2, json.Tokens);
        Assert.Equal([0.5, 0.5, 0], json.Fractions);
        Assert.Equal([0.0, 0, 1], Assert.Single(domains[0].Layers).Fractions);
        Assert.Equal([0L, 0, 1], Assert.Single(domains[2].Layers).Counts);
    }

    [Fact]
    public void Labels_AppliedAfterRowsWereRouted_DoNotRewriteHistory()
    {
        var collector = new RoutingStatisticsCollector(2);
        collector.OnLayerRouted(0, Origins(1, 1), Route(0, 2, 1, [0]));
        collector.Label(1, "json");
        collector.OnLayerRouted(1, [new RowOrigin(1, 1)], Route(0, 2, 1, [1]));
        collector.Forget(1);
        collector.OnLayerRouted(2, [new RowOrigin(1, 2)], Route(0, 2, 1, [1]));

        var domains = collector.Snapshot().Domains.ToDictionary(d => d.Label, d => d.Layers[0].Counts);

        Assert.Equal([0L, 1], domains["json"]);
        Assert.Equal([1L, 1], domains[RoutingStatisticsCollector.Unlabelled]);
    }

    [Fact]
    public void DenseLayers_AreSkipped_AndSparseNeighboursPaired()
    {
        var collector = new RoutingStatisticsCollector(2);
        var rows = Origins(1, 2);
        collector.OnLayerRouted(0, rows, Route(0, 2, 1, [0, 1]));
        collector.OnLayerRouted(0, rows, Route(2, 2, 1, [1, 1]));
        collector.OnLayerRouted(0, rows, Route(4, 2, 1, [0, 0]));

        var stats = collector.Snapshot();

        Assert.Equal(3, stats.NumLayers);
        Assert.Equal([0, 2, 4], stats.SparseLayers);
        Assert.Equal([(0, 2), (2, 4)], stats.LayerPairs.Select(p => (p.FromLayer, p.ToLayer)));
        Assert.Equal([0.0, 1], stats.LayerPairs[0].Conditional[0]);
        Assert.Equal([0.0, 1], stats.LayerPairs[0].Conditional[1]);
        Assert.Equal([1.0, 0], stats.LayerPairs[1].Conditional[1]);
        Assert.Equal([0.0, 0], stats.LayerPairs[1].Conditional[0]);
    }

    [Fact]
    public void ArrivalOrder_DoesNotChangeTheResult()
    {
        var inOrder = new RoutingStatisticsCollector(4);
        var shuffled = new RoutingStatisticsCollector(4);
        var rows = Origins(9, 3);
        var routings = new[]
        {
            Route(0, 4, 2, [0, 1, 2, 3, 1, 2]),
            Route(1, 4, 2, [3, 2, 0, 1, 0, 3]),
            Route(3, 4, 2, [1, 0, 2, 3, 3, 2]),
        };
        foreach (var r in routings)
        {
            inOrder.OnLayerRouted(0, rows, r);
        }

        // Layer 3 then 0 first makes (0, 3) look consecutive until layer 1 splits it.
        foreach (var r in new[] { routings[2], routings[0], routings[1] })
        {
            shuffled.OnLayerRouted(0, rows, r);
        }

        var expected = inOrder.Snapshot();
        Assert.Equal(expected.ToJson(), shuffled.Snapshot().ToJson());
        Assert.Equal([(0, 1), (1, 3)], expected.LayerPairs.Select(p => (p.FromLayer, p.ToLayer)));
        Assert.All(expected.LayerPairs, p => Assert.Equal(3, p.Tokens));
    }

    [Fact]
    public void FinishedAndStaleTokens_ArePruned()
    {
        var collector = new RoutingStatisticsCollector(2, staleAfterCalls: 4);
        for (var step = 0; step < 6; step++)
        {
            // Decode-like steps: one new position per step, two sparse layers.
            RowOrigin[] rows = [new(1, step), new(2, step)];
            collector.OnLayerRouted(step, rows, Route(0, 2, 1, [0, 1]));
            collector.OnLayerRouted(step, rows, Route(1, 2, 1, [1, 0]));
        }

        // The first steps' chains wait while the layer set is being discovered, then age out;
        // once it has settled, tokens go as soon as they have been seen at both layers.
        Assert.Equal(0, collector.PendingTokens);
        var pair = Assert.Single(collector.Snapshot().LayerPairs);
        Assert.Equal(12, pair.Tokens);
        Assert.Equal([0L, 6], pair.Counts[0]);
        Assert.Equal([6L, 0], pair.Counts[1]);
    }

    [Fact]
    public void KnownSparseLayerCount_ReleasesTokensAsSoonAsTheyAreComplete()
    {
        var collector = new RoutingStatisticsCollector(2, sparseLayerCount: 2);
        var rows = Origins(1, 3);
        collector.OnLayerRouted(0, rows, Route(0, 2, 1, [0, 1, 0]));
        Assert.Equal(3, collector.PendingTokens);

        collector.OnLayerRouted(0, rows, Route(1, 2, 1, [1, 0, 1]));

        Assert.Equal(0, collector.PendingTokens);
        Assert.Equal([0L, 2], Assert.Single(collector.Snapshot().LayerPairs).Counts[0]);
    }

    [Fact]
    public void PendingCap_DropsChainsButKeepsCountedPairs()
    {
        var collector = new RoutingStatisticsCollector(2, maxPendingTokens: 2);
        collector.OnLayerRouted(0, Origins(1, 2), Route(0, 2, 1, [0, 1]));
        collector.OnLayerRouted(0, Origins(1, 2), Route(1, 2, 1, [0, 1]));
        collector.OnLayerRouted(0, [new RowOrigin(2, 0)], Route(0, 2, 1, [1]));

        Assert.Equal(1, collector.PendingTokens);
        Assert.Equal(2, Assert.Single(collector.Snapshot().LayerPairs).Tokens);
    }

    [Fact]
    public void RecomputedToken_IsCountedAsANewObservation()
    {
        var collector = new RoutingStatisticsCollector(2);
        var rows = Origins(1, 1);
        for (var step = 0; step < 2; step++)
        {
            collector.OnLayerRouted(step, rows, Route(0, 2, 1, [0]));
            collector.OnLayerRouted(step, rows, Route(1, 2, 1, [1]));
        }

        var pair = Assert.Single(collector.Snapshot().LayerPairs);
        Assert.Equal(2, pair.Tokens);
        Assert.Equal([0L, 2], pair.Counts[0]);
    }

    [Fact]
    public void Json_RoundTripsAndIsCamelCase()
    {
        var collector = new RoutingStatisticsCollector(3);
        collector.Label(1, "json");
        var rows = Origins(1, 2);
        collector.OnLayerRouted(0, rows, Route(0, 3, 2, [0, 1, 1, 2]));
        collector.OnLayerRouted(0, rows, Route(1, 3, 2, [2, 0, 0, 1]));
        var stats = collector.Snapshot();

        var json = stats.ToJson();
        var back = RoutingStatistics.FromJson(json);

        Assert.Equal(json, back.ToJson());
        Assert.Contains("\"numLayers\": 2", json, StringComparison.Ordinal);
        Assert.Contains("\"layerPairs\"", json, StringComparison.Ordinal);
        Assert.Contains("\"meanMaxConditional\"", json, StringComparison.Ordinal);
        Assert.Equal(stats.LayerPairs[0].Conditional[1], back.LayerPairs[0].Conditional[1]);
        Assert.Equal("json", Assert.Single(back.Domains).Label);
    }

    [Fact]
    public void ParallelFeeding_GivesTheSameTotalsAsSequential()
    {
        const int experts = 8;
        const int steps = 64;
        // A known layer count and no ageing make the result independent of thread scheduling.
        var sequential = new RoutingStatisticsCollector(experts, sparseLayerCount: 4, staleAfterCalls: int.MaxValue);
        var parallel = new RoutingStatisticsCollector(experts, sparseLayerCount: 4, staleAfterCalls: int.MaxValue);
        var work = Enumerable.Range(0, steps).Select(step =>
        {
            var random = new Random(step);
            var rows = Origins(step, 16);
            var layers = Enumerable.Range(0, 4)
                .Select(layer => Route(layer, experts, 2, [.. Enumerable.Range(0, 16).SelectMany(_ => DistinctPair(random, experts))]))
                .ToArray();
            return (Step: (long)step, Rows: rows, Layers: layers);
        }).ToArray();
        foreach (var step in work)
        {
            sequential.Label(step.Step, step.Step % 2 == 0 ? "even" : "odd");
            parallel.Label(step.Step, step.Step % 2 == 0 ? "even" : "odd");
        }

        foreach (var step in work)
        {
            foreach (var layer in step.Layers)
            {
                sequential.OnLayerRouted(step.Step, step.Rows, layer);
            }
        }

        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = 4 }, step =>
        {
            foreach (var layer in step.Layers)
            {
                parallel.OnLayerRouted(step.Step, step.Rows, layer);
            }
        });

        var expected = sequential.Snapshot();
        Assert.Equal(expected.ToJson(), parallel.Snapshot().ToJson());
        Assert.All(expected.Layers, l => Assert.Equal(steps * 16, l.Tokens));
        Assert.All(expected.LayerPairs, p => Assert.Equal(steps * 16, p.Tokens));
    }

    [Fact]
    public void ExpertIdOutOfRange_ThrowsAndLeavesStatisticsUntouched()
    {
        var collector = new RoutingStatisticsCollector(2);

        Assert.Throws<ArgumentException>(() => collector.OnLayerRouted(0, Origins(1, 1), Route(0, 3, 1, [2])));

        var stats = collector.Snapshot();
        Assert.Equal(0, stats.NumLayers);
        Assert.Empty(stats.Layers);
        Assert.Empty(stats.LayerPairs);
        Assert.Equal(0, collector.PendingTokens);
    }

    private static ExpertRouting Route(int layer, int numExperts, int topK, long[] ids) =>
        ExpertRouting.Create(layer, numExperts, topK, ids, [.. ids.Select(_ => 1f / topK)]);

    private static RowOrigin[] Origins(long sequence, int count) =>
        [.. Enumerable.Range(0, count).Select(p => new RowOrigin(sequence, p))];

    private static long[] DistinctPair(Random random, int experts)
    {
        var first = random.Next(experts);
        return [first, (first + 1 + random.Next(experts - 1)) % experts];
    }
}
