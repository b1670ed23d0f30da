using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tracing;
using Elastic.Worker.Experts;
using Elastic.Worker.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Elastic.Worker.Tests.Grains;

[Trait("Category", "Integration")]
public sealed class OrleansExpertExecutorTests(ExpertClusterFixture fixture) : IClassFixture<ExpertClusterFixture>
{
    private static readonly int[] Prompt = [5, 17, 3, 42, 9, 11, 60];

    [Fact]
    public async Task Forward_ThroughTwoShardsOnTwoSilos_MatchesLocalLogits()
    {
        var executor = await SpreadOverTwoShardsAsync("forward");

        var (local, remote) = await Task.Run(() => (RunForward(fixture.Local.Experts), RunForward(executor)));

        Assert.Equal(local.Count, remote.Count);
        for (var step = 0; step < local.Count; step++)
        {
            Assert.Equal(local[step].Length, remote[step].Length);
            for (var i = 0; i < local[step].Length; i++)
            {
                Assert.True(Math.Abs(local[step][i] - remote[step][i]) <= 1e-5f, $"step {step}, logit {i}: local {local[step][i]}, shards {remote[step][i]}");
            }
        }
    }

    [Fact]
    public async Task Generate_ThroughShards_GreedyTokensEqualLocal()
    {
        var executor = await SpreadOverTwoShardsAsync("generate");

        var local = await Task.Run(() => Generate(fixture.Local.Experts, maxTokens: 8));
        var remote = await Task.Run(() => Generate(executor, maxTokens: 8));

        Assert.Equal(8, local.Count);
        Assert.Equal(local, remote);
        Assert.Equal(1, executor.KnownVersion);
    }

    [Fact]
    public async Task Generate_FromAnExpertSilo_ComputesItsOwnShardInProcessAndCallsTheOther()
    {
        const string model = "in-process";
        var shards = new[] { $"{model}/here", $"{model}/there" };
        var table = await fixture.DecodeGrains.GetGrain<IPlacementDirectoryGrain>(model)
            .SpreadEvenlyAsync(fixture.SparseLayers, fixture.Local.Config.NumExperts, shards, 1);
        var byShard = table.ExpertsByShard();
        await fixture.LoadShardAsync(shards[0], "Silo_1", byShard[shards[0]]);
        await fixture.LoadShardAsync(shards[1], "Silo_2", byShard[shards[1]]);
        var grainsOfSilo1 = fixture.Silo("Silo_1").ServiceProvider.GetRequiredService<IGrainFactory>();
        var counters = new TransferCounters();
        var executor = new OrleansExpertExecutor(grainsOfSilo1, model, transfers: counters, local: fixture.LocalShardsOf("Silo_1"));

        var local = await Task.Run(() => Generate(fixture.Local.Experts, maxTokens: 8));
        var mixed = await Task.Run(() => Generate(executor, maxTokens: 8));

        Assert.Equal(local, mixed);
        Assert.Contains(shards[0], fixture.LocalShardsOf("Silo_1").Keys);
        Assert.DoesNotContain(shards[1], fixture.LocalShardsOf("Silo_1").Keys);
        var statuses = await Task.WhenAll(shards.Select(s => grainsOfSilo1.GetGrain<IExpertShardGrain>(s).GetStatusAsync()));
        Assert.All(statuses, s => Assert.True(s.Batches > 0, $"shard {s.Shard} computed no batch"));

        // Every batch of the co-located shard was computed in-process, none went through a grain call; the metrics
        // count the in-process calls apart from the calls (and bytes) that crossed to the other silo.
        Assert.Equal(statuses[0].Batches, executor.InProcessCalls);
        Assert.Equal(executor.InProcessCalls, counters.ExpertCallsInProcess);
        Assert.Equal(statuses[1].Batches, counters.ExpertCalls);
        Assert.True(counters.ExpertBytesSent > 0);
    }

    [Fact]
    public async Task ExpertShards_WithoutHint_ActivateOnlyOnExpertSilos()
    {
        var expertSilos = fixture.ExpertSilos.Select(s => s.SiloAddress.ToString()).ToHashSet();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => fixture.DecodeGrains.GetGrain<IExpertShardGrain>($"placement-probe-{i}").GetStatusAsync()));

        Assert.All(statuses, s => Assert.Contains(s.Silo, expertSilos));
    }

    [Fact]
    public async Task ExpertShard_HintedToDecodeSilo_StillActivatesOnExpertSilo()
    {
        var status = await fixture.LoadShardAsync("hinted-to-decode", ExpertClusterFixture.DecodeSilo, []);

        Assert.NotEqual(fixture.Silo(ExpertClusterFixture.DecodeSilo).SiloAddress.ToString(), status.Silo);
        Assert.Contains(status.Silo, fixture.ExpertSilos.Select(s => s.SiloAddress.ToString()));
    }

    [Fact]
    public async Task RolePlacement_NoSiloHasRole_FailsNamingTheRole()
    {
        var grain = fixture.DecodeGrains.GetGrain<IPrefillProbeGrain>("nobody-prefills");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => grain.PingAsync());

        Assert.Contains("no active silo has the Prefill worker role", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpertShard_AskedForExpertItLacks_ThrowsExpertNotLoaded()
    {
        await fixture.LoadShardAsync("lacking", "Silo_1", [new ExpertId(0, 0)]);
        var grain = fixture.DecodeGrains.GetGrain<IExpertShardGrain>("lacking");
        var hidden = fixture.Local.Config.HiddenSize;

        var error = await Assert.ThrowsAsync<ExpertNotLoadedException>(() =>
            grain.ComputeAsync(new ExpertBatch(1, 0, 1, hidden, new float[hidden], [new ExpertAssignment(3, [0], [1f])])));

        Assert.Equal(new ExpertId(0, 3), error.Expert);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PlacementPublishedMidStep_IsUsedFromTheNextStepOnly(bool directoryInProcess)
    {
        var model = directoryInProcess ? "mid-step-here" : "mid-step";
        var directory = fixture.DecodeGrains.GetGrain<IPlacementDirectoryGrain>(model);
        var v1 = await directory.SpreadEvenlyAsync(fixture.SparseLayers, fixture.Local.Config.NumExperts, ["mid/a", "mid/b"], 1);
        var byShard = v1.ExpertsByShard();
        await fixture.LoadShardAsync("mid/a", "Silo_1", byShard["mid/a"]);
        await fixture.LoadShardAsync("mid/b", "Silo_2", fixture.AllExperts);
        var v2 = new PlacementTable(model, v1.Version + 1, [.. v1.Entries.Select(e => new ExpertPlacement(e.Expert, ["mid/b"]))]);
        // In-process: the engine runs in the silo that hosts the directory and reads the stored table there.
        var host = directoryInProcess ? fixture.Cluster.Silos.Single(s => fixture.LocalPlacementsOf(s.Name).Keys.Contains(model)) : null;
        var inner = host is null
            ? new OrleansExpertExecutor(fixture.DecodeGrains, model)
            : new OrleansExpertExecutor(host.ServiceProvider.GetRequiredService<IGrainFactory>(), model, localPlacements: fixture.LocalPlacementsOf(host.Name));
        var executor = new RecordingExecutor(inner);
        var shardA = fixture.DecodeGrains.GetGrain<IExpertShardGrain>("mid/a");
        long? batchesOfA = null;
        var sink = new StepHook(onLayer: (step, layer) =>
        {
            if (step == 2 && layer == 0)
            {
                // Half-way into step 2: after its routing, before its first expert call.
                directory.PublishAsync(v2).GetAwaiter().GetResult();
            }
            else if (step == 3 && layer == 0)
            {
                batchesOfA = shardA.GetStatusAsync().GetAwaiter().GetResult().Batches;
            }
        });

        var local = await Task.Run(() => Generate(fixture.Local.Experts, maxTokens: 6));
        var remote = await Task.Run(() => Generate(executor, maxTokens: 6, sink));

        Assert.Equal(local, remote);
        Assert.Equal(6, executor.VersionsByStep.Count);
        for (var s = 0; s < executor.VersionsByStep.Count; s++)
        {
            var expected = s <= 2 ? v1.Version : v2.Version;
            Assert.Equal(Enumerable.Repeat(expected, fixture.SparseLayers.Length), executor.VersionsByStep[s]);
        }

        // Shard a holds nothing under v2: after the step that saw the publish, no batch reached it.
        Assert.NotNull(batchesOfA);
        Assert.Equal(batchesOfA, (await shardA.GetStatusAsync()).Batches);
        Assert.Equal(directoryInProcess ? 6 : 0, inner.InProcessPlacementReads);
    }

    private async Task<OrleansExpertExecutor> SpreadOverTwoShardsAsync(string model)
    {
        var shards = new[] { $"{model}/shard-0", $"{model}/shard-1" };
        var table = await fixture.DecodeGrains.GetGrain<IPlacementDirectoryGrain>(model)
            .SpreadEvenlyAsync(fixture.SparseLayers, fixture.Local.Config.NumExperts, shards, 1);
        var byShard = table.ExpertsByShard();
        var first = await fixture.LoadShardAsync(shards[0], "Silo_1", byShard[shards[0]]);
        var second = await fixture.LoadShardAsync(shards[1], "Silo_2", byShard[shards[1]]);
        Assert.NotEqual(first.Silo, second.Silo);
        Assert.Equal(fixture.AllExperts.Count(), first.Experts.Length + second.Experts.Length);
        return new OrleansExpertExecutor(fixture.DecodeGrains, model);
    }

    /// <summary>Logits of a prefill and three decode steps fed with fixed tokens.</summary>
    private List<float[]> RunForward(IExpertExecutor experts)
    {
        var model = fixture.Local.Transformer;
        using var cache = new Elastic.Inference.Caching.KvCacheManager(model.Config, 16L << 20).TryAllocate(Prompt.Length + 3)!;
        var logits = new List<float[]> { model.Forward([new ForwardChunk(1, cache, Prompt, LogitsWanted.AllTokens)], experts)[0] };
        foreach (var token in new[] { 7, 33, 2 })
        {
            logits.Add(model.Forward([new ForwardChunk(1, cache, [token], LogitsWanted.LastToken)], experts)[0]);
        }

        return logits;
    }

    private List<int> Generate(IExpertExecutor experts, int maxTokens, IRoutingTraceSink? trace = null)
    {
        using var engine = new InferenceEngine(fixture.Local.Transformer, experts, new EngineOptions { KvCacheBytes = 16L << 20 }, trace);
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true };
        engine.Submit(new GenerationRequest(Prompt, sampling));
        var tokens = new List<int>();
        while (engine.HasWork)
        {
            tokens.AddRange(engine.Step().Where(o => o.Token is not null).Select(o => o.Token!.TokenId));
        }

        return tokens;
    }

    /// <summary>Calls back at every routed layer with the step's index (0 = first step seen) and the layer.</summary>
    private sealed class StepHook(Action<int, int> onLayer) : IRoutingTraceSink
    {
        private long? _firstStep;

        public void OnLayerRouted(long stepNumber, IReadOnlyList<RowOrigin> rows, ExpertRouting routing)
        {
            _firstStep ??= stepNumber;
            onLayer((int)(stepNumber - _firstStep.Value), routing.Layer);
        }
    }

    /// <summary>Records, per step, the placement version each layer's expert calls actually used.</summary>
    private sealed class RecordingExecutor(OrleansExpertExecutor inner) : IExpertExecutor, IStepScopedExpertExecutor
    {
        public List<List<long>> VersionsByStep { get; } = [];

        public void BeginStep()
        {
            VersionsByStep.Add([]);
            inner.BeginStep();
        }

        public void EndStep() => inner.EndStep();

        public TorchSharp.torch.Tensor Execute(TorchSharp.torch.Tensor hidden, ExpertRouting routing)
        {
            var output = inner.Execute(hidden, routing);
            VersionsByStep[^1].Add(inner.LastUsedVersion);
            return output;
        }
    }
}
