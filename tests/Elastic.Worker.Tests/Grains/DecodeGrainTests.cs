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
        var before = await fixture.ShardBatchesAsync();

        var expected = await fixture.Local.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync();
        var actual = await fixture.Backend.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync();

        Assert.Equal(12, expected.Count);
        Assert.Equal(expected.Select(u => u.Token!.TokenId), actual.Select(u => u.Token!.TokenId));
        Assert.Equal(string.Concat(expected.Select(u => u.Text)), string.Concat(actual.Select(u => u.Text)));
        Assert.Equal(FinishReason.Length, actual[^1].Finish);
        Assert.True(await fixture.ShardBatchesAsync() > before, "the decode engine never called the expert shards");
    }

    [Fact]
    public async Task GenerateAsync_ClusterAndLocalExpertExecution_SameGreedyTextAndShardsComputeBatches()
    {
        var prompt = fixture.Backend.EncodePrompt("7+5=");
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 10, IgnoreEos = true };

        var local = await fixture.LocalWorker.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync();
        var cluster = await fixture.Backend.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync();

        Assert.Equal(10, local.Count);
        Assert.Equal(local.Select(u => u.Token!.TokenId), cluster.Select(u => u.Token!.TokenId));
        Assert.Equal(string.Concat(local.Select(u => u.Text)), string.Concat(cluster.Select(u => u.Text)));
        var statuses = await Task.WhenAll(fixture.Shards.Select(s => s.GetStatusAsync()));
        Assert.Equal(2, statuses.Length);
        Assert.All(statuses, s => Assert.True(s.Batches > 0, $"expert shard {s.Shard} computed no batch"));
    }

    [Fact]
    public async Task WorkerStart_ClusterExpertExecution_SpreadsExpertsOverShardsAndHoldsNoRoutedExpertsItself()
    {
        var services = fixture.Cluster.Silos[0].ServiceProvider;
        var served = services.GetRequiredService<WorkerModel>().Served;
        var config = served.Config;
        var table = await services.GetRequiredService<IGrainFactory>().GetGrain<IPlacementDirectoryGrain>(served.Name).GetAsync();
        var statuses = await Task.WhenAll(fixture.Shards.Select(s => s.GetStatusAsync()));
        var sparseLayers = Enumerable.Range(0, config.NumLayers).Count(config.IsSparseLayer);

        Assert.Equal(1, table.Version);
        Assert.Equal(sparseLayers * config.NumExperts, statuses.Sum(s => s.Experts.Length));
        Assert.All(statuses, s => Assert.Equal(sparseLayers * config.NumExperts / 2, s.Experts.Length));
        Assert.Equal(0, served.Model.Experts.Count);
        Assert.True(fixture.LocalWorkerModel.Served.Model.Experts.Count > 0);
    }

    [Fact]
    public async Task GenerateAsync_RequestLongerThanContext_ThrowsArgumentException()
    {
        var prompt = fixture.Backend.EncodePrompt("hello");
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = fixture.Backend.MaxModelLength + 1 };

        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Backend.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync().AsTask());
    }

    [Fact]
    public async Task GenerateAsync_ClientCancels_SequenceLeavesTheBatch()
    {
        await DecodeGrainProbe.CancelAfterAsync(fixture.Backend, 2);

        var stats = await DecodeGrainProbe.WaitForIdleAsync(((GrainGenerationBackend)fixture.Backend).DecodeGrain);

        Assert.Equal(0, stats.Running);
        Assert.Equal(0, stats.Waiting);
        Assert.Equal(0, stats.KvCacheUsage);
    }

    /// <summary>
    /// One all-roles worker silo running its experts on two expert-shard grains (set up by the worker's own start-up),
    /// one all-roles worker silo with local experts, and the same model in process.
    /// </summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new("elastic-decode-grain");
        private ServedModel? _served;
        private EngineLoop? _loop;

        public InProcessTestCluster Cluster { get; private set; } = null!;

        public InProcessTestCluster LocalCluster { get; private set; } = null!;

        public IGenerationBackend Backend { get; private set; } = null!;

        public IGenerationBackend LocalWorker { get; private set; } = null!;

        public WorkerModel LocalWorkerModel { get; private set; } = null!;

        public IGenerationBackend Local { get; private set; } = null!;

        public IReadOnlyList<IExpertShardGrain> Shards { get; private set; } = [];

        public async Task<long> ShardBatchesAsync() => (await Task.WhenAll(Shards.Select(s => s.GetStatusAsync()))).Sum(s => s.Batches);

        public async Task InitializeAsync()
        {
            var checkpoint = TinyServedCheckpoint.Write(_directory.CreateSubdirectory("tiny-served"));
            Cluster = await StartWorkerAsync(checkpoint, ExpertExecution.Cluster);
            LocalCluster = await StartWorkerAsync(checkpoint, ExpertExecution.Local);

            var services = Cluster.Silos[0].ServiceProvider;
            Backend = services.GetRequiredService<IGenerationBackend>();
            var bootstrap = services.GetRequiredService<ExpertShardBootstrap>();
            await bootstrap.WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
            var grains = services.GetRequiredService<IGrainFactory>();
            Shards = [.. bootstrap.Placement!.ExpertsByShard().Keys.Select(id => grains.GetGrain<IExpertShardGrain>(id))];

            LocalWorker = LocalCluster.Silos[0].ServiceProvider.GetRequiredService<IGenerationBackend>();
            LocalWorkerModel = LocalCluster.Silos[0].ServiceProvider.GetRequiredService<WorkerModel>();

            _served = ServedModel.Load(checkpoint);
            _loop = new EngineLoop(_served.CreateEngine(new EngineOptions { KvCacheBytes = 16L << 20 }));
            Local = new LocalGenerationBackend(_served, new TextGenerator(_served, _loop));
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            await LocalCluster.DisposeAsync();
            if (_loop is not null)
            {
                await _loop.DisposeAsync();
            }

            _served?.Dispose();
            _directory.Dispose();
        }

        private static async Task<InProcessTestCluster> StartWorkerAsync(string checkpoint, ExpertExecution experts)
        {
            var options = new WorkerOptions
            {
                Role = WorkerRole.All,
                ModelDirectory = checkpoint,
                Threads = 2,
                KvCacheBytes = 16L << 20,
                ExpertExecution = experts,
                ExpertShards = 2,
            };
            var builder = new InProcessTestClusterBuilder(1);
            builder.ConfigureSilo((_, silo) => silo.AddElasticWorker(options));
            var cluster = builder.Build();
            await cluster.DeployAsync();
            return cluster;
        }
    }
}
