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

    [Fact]
    public async Task Execute_TwoShardsInProcess_ARowsSumDoesNotDependOnItsBatchMates()
    {
        // Experts interleaved over two in-process shards (even ones on a, odd ones on b, as moves and replicas leave
        // them), three a row: the row's weighted sum was added shard by shard in the order the batch first met the
        // shards, so a batch mate routed to expert 0 reversed it and changed the row's last bits (and a seeded or
        // greedy token near a tie). Shards are now taken in a fixed order.
        const string model = "sum-order";
        var shards = new[] { $"{model}/a", $"{model}/b" };
        var config = fixture.Local.Config;
        var directory = fixture.DecodeGrains.GetGrain<IPlacementDirectoryGrain>(model);
        var current = await directory.GetAsync();
        var entries = fixture.AllExperts.Select(e => new ExpertPlacement(e, [shards[e.Expert % 2]])).ToArray();
        await directory.PublishAsync(new PlacementTable(model, current.Version + 1, entries));
        await fixture.LoadShardAsync(shards[0], "Silo_1", fixture.AllExperts.Where(e => e.Expert % 2 == 0));
        await fixture.LoadShardAsync(shards[1], "Silo_1", fixture.AllExperts.Where(e => e.Expert % 2 == 1));
        var grainsOfSilo1 = fixture.Silo("Silo_1").ServiceProvider.GetRequiredService<IGrainFactory>();
        var executor = new OrleansExpertExecutor(grainsOfSilo1, model, local: fixture.LocalShardsOf("Silo_1"));
        var layer = fixture.SparseLayers[0];
        var random = new Random(3);
        float[] Hidden() => [.. Enumerable.Range(0, config.HiddenSize).Select(_ => (float)(random.NextDouble() - 0.5))];

        // The row: experts 1 and 3 (shard b) and 2 (shard a); alone, its batch meets shard b first.
        var row = Hidden();
        var rowLogits = Enumerable.Range(0, config.NumExperts).Select(e => e is 1 or 2 or 3 ? 5f + e : 0f).ToArray();
        var alone = await Task.Run(() => Execute(executor, layer, [row], [rowLogits])[0]);
        for (var trial = 0; trial < 8; trial++)
        {
            // A mate routed to expert 0 (shard a), so its batch meets shard a first.
            var mateLogits = Enumerable.Range(0, config.NumExperts).Select(e => e == 0 ? 9f : (float)random.NextDouble()).ToArray();
            var mate = Hidden();
            var withMate = await Task.Run(() => Execute(executor, layer, [mate, row], [mateLogits, rowLogits])[1]);

            Assert.True(alone.SequenceEqual(withMate), $"trial {trial}: the row's result changed with its batch mate");
        }

        Assert.True(executor.InProcessCalls > 0, "the shards were not computed in-process");
    }

    // Experts of `layer` for the rows, each routed to its three most likely experts by the given router logits.
    private static float[][] Execute(OrleansExpertExecutor executor, int layer, float[][] rows, float[][] routerLogits)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var width = rows[0].Length;
        using var hidden = TorchSharp.torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, width]);
        var routing = ExpertRouting.FromRouterLogits(layer, routerLogits[0].Length, 3, normalizeTopK: true, routerLogits.SelectMany(l => l).ToArray());
        var output = executor.Execute(hidden, routing).data<float>().ToArray();
        return [.. Enumerable.Range(0, rows.Length).Select(r => output[(r * width)..((r + 1) * width)])];
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
