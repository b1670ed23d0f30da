using Elastic.Inference.Configuration;
using Elastic.Inference.Generation;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Training.Evaluation;

namespace Elastic.Training.Tests.Evaluation;

[Trait("Category", "Integration")]
public sealed class RoutingAnalysisTests
{
    [Fact]
    public void Run_HeldOutDomains_LabelsEveryDomainAndPairsConsecutiveLayers()
    {
        using var dir = new TempDirectory();
        using var served = ServedModel.Load(TinyServedCheckpoint.Write(dir.Path, ModelFamily.Mixtral));

        var stats = RoutingAnalysis.Run(served, samplesPerDomain: 3, generateTokens: 2);

        Assert.Equal(["arithmetic", "code", "conlang", "english", "json"], stats.Domains.Select(d => d.Label).Order());
        Assert.Equal(served.Config.NumLayers, stats.Layers.Count);
        Assert.Equal(served.Config.NumLayers - 1, stats.LayerPairs.Count);
        Assert.All(stats.Layers, l => Assert.Equal(l.Tokens * served.Config.NumExpertsPerToken, l.Counts.Sum()));
        Assert.All(stats.LayerPairs, p => Assert.All(p.Conditional.Where(r => r.Sum() > 0), r => Assert.Equal(1.0, r.Sum(), 6)));
    }
}
