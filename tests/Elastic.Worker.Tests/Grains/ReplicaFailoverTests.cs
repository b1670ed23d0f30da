using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Inference.Sampling;
using Elastic.Worker.Experts;

namespace Elastic.Worker.Tests.Grains;

[Trait("Category", "Integration")]
public sealed class ReplicaFailoverTests(ExpertClusterFixture fixture) : IClassFixture<ExpertClusterFixture>
{
    private static readonly int[] Prompt = [8, 1, 40, 22, 13];

    [Fact]
    public async Task ExpertSiloStops_CallsRetryOnOtherReplica_TokensUnchanged()
    {
        const string model = "failover";
        await fixture.DecodeGrains.GetGrain<IPlacementDirectoryGrain>(model)
            .SpreadEvenlyAsync(fixture.SparseLayers, fixture.Local.Config.NumExperts, ["fo/a", "fo/b"], 2);
        await fixture.LoadShardAsync("fo/a", "Silo_1", fixture.AllExperts);
        await fixture.LoadShardAsync("fo/b", "Silo_2", fixture.AllExperts);
        var executor = new OrleansExpertExecutor(fixture.DecodeGrains, model);
        var expected = await Task.Run(() => Generate(fixture.Local.Experts));
        Assert.Equal(expected, await Task.Run(() => Generate(executor)));
        Assert.Equal(0, executor.Retries);

        // Shard b's silo leaves. Either b's calls fail and a serves its experts (b came back empty, its stored load
        // lost with the silo holding it), or b came back elsewhere and reloaded its experts from its stored load.
        var stopped = fixture.Silo("Silo_2");
        var stoppedAddress = stopped.SiloAddress.ToString();
        await fixture.Cluster.StopSiloAsync(stopped);
        var afterStop = await Task.Run(() => Generate(executor));

        Assert.Equal(expected, afterStop);
        var b = await fixture.DecodeGrains.GetGrain<IExpertShardGrain>("fo/b").GetStatusAsync();
        Assert.NotEqual(stoppedAddress, b.Silo);
        Assert.True(
            executor.Retries > 0 || b.Experts.Length == fixture.AllExperts.Count(),
            $"shard fo/b neither failed over to its replica nor restored its experts: {executor.Retries} retries, {b.Experts.Length} experts held");
    }

    private List<int> Generate(IExpertExecutor experts)
    {
        using var engine = new InferenceEngine(fixture.Local.Transformer, experts, new EngineOptions { KvCacheBytes = 16L << 20 });
        engine.Submit(new GenerationRequest(Prompt, new SamplingParams { Temperature = 0, MaxTokens = 5, IgnoreEos = true }));
        var tokens = new List<int>();
        while (engine.HasWork)
        {
            tokens.AddRange(engine.Step().Where(o => o.Token is not null).Select(o => o.Token!.TokenId));
        }

        return tokens;
    }
}
