using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Worker.Api;
using Elastic.Worker.Grains;
using Elastic.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Elastic.Worker.Tests.Grains;

[Trait("Category", "Integration")]
public sealed class DecodeGrainTests(DecodeGrainTests.Fixture fixture) : IClassFixture<DecodeGrainTests.Fixture>
{
    [Fact]
    public async Task GenerateAsync_ThroughDecodeGrainAndExpertShard_StreamsSameTextAsInProcess()
    {
        var prompt = fixture.Backend.EncodePrompt("12+30=");
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 12, IgnoreEos = true };

        var expected = await CollectAsync(fixture.Local.GenerateAsync(prompt, sampling, CancellationToken.None));
        var actual = await CollectAsync(fixture.Backend.GenerateAsync(prompt, sampling, CancellationToken.None));

        Assert.Equal(12, expected.Count);
        Assert.Equal(expected.Select(u => u.Token!.TokenId), actual.Select(u => u.Token!.TokenId));
        Assert.Equal(string.Concat(expected.Select(u => u.Text)), string.Concat(actual.Select(u => u.Text)));
        Assert.Equal(FinishReason.Length, actual[^1].Finish);
        Assert.True((await fixture.Shard.GetStatusAsync()).Batches > 0, "the decode engine never called the expert shard");
    }

    [Fact]
    public async Task GenerateAsync_RequestLongerThanContext_ThrowsArgumentException()
    {
        var prompt = fixture.Backend.EncodePrompt("hello");
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = fixture.Backend.MaxModelLength + 1 };

        await Assert.ThrowsAsync<ArgumentException>(() => CollectAsync(fixture.Backend.GenerateAsync(prompt, sampling, CancellationToken.None)));
    }

    [Fact]
    public async Task GenerateAsync_ClientCancels_SequenceLeavesTheBatch()
    {
        var prompt = fixture.Backend.EncodePrompt("the quick brown fox");
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 200, IgnoreEos = true };
        using var cancel = new CancellationTokenSource();
        var received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in fixture.Backend.GenerateAsync(prompt, sampling, cancel.Token))
            {
                if (++received == 2)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        var grain = ((GrainGenerationBackend)fixture.Backend).DecodeGrain;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        DecodeStats stats;
        while ((stats = await grain.GetStatsAsync()) is not { Running: 0, Waiting: 0 } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, stats.Running);
        Assert.Equal(0, stats.Waiting);
        Assert.Equal(0, stats.KvCacheUsage);
    }

    private static async Task<List<GenerationUpdate>> CollectAsync(IAsyncEnumerable<GenerationUpdate> updates)
    {
        var list = new List<GenerationUpdate>();
        await foreach (var u in updates)
        {
            list.Add(u);
        }

        return list;
    }

    /// <summary>One all-roles worker silo running its experts through a shard grain, and the same model in process.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new("elastic-decode-grain");
        private ServedModel? _served;
        private EngineLoop? _loop;

        public InProcessTestCluster Cluster { get; private set; } = null!;

        public IGenerationBackend Backend { get; private set; } = null!;

        public IGenerationBackend Local { get; private set; } = null!;

        public IExpertShardGrain Shard { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var checkpoint = TinyServedCheckpoint.Write(_directory.CreateSubdirectory("tiny-served"));
            var options = new WorkerOptions
            {
                Role = WorkerRole.All,
                ModelDirectory = checkpoint,
                Threads = 2,
                KvCacheBytes = 16L << 20,
                ExpertExecution = ExpertExecution.Cluster,
            };
            var builder = new InProcessTestClusterBuilder(1);
            builder.ConfigureSilo((_, silo) => silo.AddElasticWorker(options));
            Cluster = builder.Build();
            await Cluster.DeployAsync();

            var services = Cluster.Silos[0].ServiceProvider;
            var grains = services.GetRequiredService<IGrainFactory>();
            Backend = services.GetRequiredService<IGenerationBackend>();
            var config = services.GetRequiredService<WorkerModel>().Served.Config;
            int[] layers = [.. Enumerable.Range(0, config.NumLayers).Where(config.IsSparseLayer)];
            var table = await grains.GetGrain<IPlacementDirectoryGrain>(Backend.ModelName).SpreadEvenlyAsync(layers, config.NumExperts, ["served/shard-0"], 1);
            Shard = grains.GetGrain<IExpertShardGrain>("served/shard-0");
            await Shard.LoadAsync(checkpoint, table.ExpertsByShard()["served/shard-0"]);

            _served = ServedModel.Load(checkpoint);
            _loop = new EngineLoop(_served.CreateEngine(new EngineOptions { KvCacheBytes = 16L << 20 }));
            Local = new LocalGenerationBackend(_served, new TextGenerator(_served, _loop));
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            if (_loop is not null)
            {
                await _loop.DisposeAsync();
            }

            _served?.Dispose();
            _directory.Dispose();
        }
    }
}
