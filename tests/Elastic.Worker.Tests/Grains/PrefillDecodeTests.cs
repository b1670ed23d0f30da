using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Worker.Api;
using Elastic.Worker.Grains;
using Elastic.Worker.Hosting;
using Elastic.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.TestingHost;

namespace Elastic.Worker.Tests.Grains;

/// <summary>Prefill on a {Prefill} silo, KV cache and first token handed to the decode engine of a {Decode, Expert} silo.</summary>
[Trait("Category", "Integration")]
public sealed class PrefillDecodeTests(PrefillDecodeTests.Fixture fixture) : IClassFixture<PrefillDecodeTests.Fixture>
{
    [Fact]
    public async Task Generate_GreedyConcurrentRequests_SameTextAsLocalPrefill()
    {
        var before = await fixture.DecodeGrain.GetStatsAsync();
        string[] texts = ["12+30=", "7+5=", "the quick brown fox"];
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true, Logprobs = 2 };

        var expected = new List<List<GenerationUpdate>>();
        foreach (var text in texts)
        {
            expected.Add(await fixture.Local.GenerateAsync(fixture.Backend.EncodePrompt(text), sampling, CancellationToken.None).ToListAsync());
        }

        var actual = await Task.WhenAll(texts.Select(t => fixture.Backend.GenerateAsync(fixture.Backend.EncodePrompt(t), sampling, CancellationToken.None).ToListAsync().AsTask()));

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i].Select(u => u.Token!.TokenId), actual[i].Select(u => u.Token!.TokenId));
            Assert.Equal(string.Concat(expected[i].Select(u => u.Text)), string.Concat(actual[i].Select(u => u.Text)));
            Assert.Equal(expected[i][0].Token!.Logprob, actual[i][0].Token!.Logprob, 1e-5f);
            Assert.Equal(expected[i][0].Token!.TopLogprobs.Select(t => t.TokenId), actual[i][0].Token!.TopLogprobs.Select(t => t.TokenId));
        }

        var after = await fixture.DecodeGrain.GetStatsAsync();
        Assert.Equal(texts.Length, after.PrefillHandOffs - before.PrefillHandOffs);
    }

    [Fact]
    public async Task Generate_SeededSampling_SameTextAsLocalPrefill()
    {
        var prompt = fixture.Backend.EncodePrompt("12+30=");
        var sampling = new SamplingParams { Temperature = 1.0f, TopP = 0.95f, Seed = 4242, MaxTokens = 12, IgnoreEos = true };
        var before = await fixture.DecodeGrain.GetStatsAsync();

        var expected = await fixture.Local.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync();
        var actual = await fixture.Backend.GenerateAsync(prompt, sampling, CancellationToken.None).ToListAsync();

        Assert.Equal(expected.Select(u => u.Token!.TokenId), actual.Select(u => u.Token!.TokenId));
        Assert.Equal(1, (await fixture.DecodeGrain.GetStatsAsync()).PrefillHandOffs - before.PrefillHandOffs);
    }

    [Fact]
    public async Task Generate_HandOff_KvBytesPerTokenIsTwoLayersKvHeadsHeadDimFloats_AndCacheFreedOnCompletion()
    {
        var config = fixture.Cluster.Silos.Single(s => s.Name != "Silo_0").ServiceProvider.GetRequiredService<WorkerModel>().Served.Config;
        var before = await fixture.DecodeGrain.GetStatsAsync();

        await fixture.Backend.GenerateAsync(fixture.Backend.EncodePrompt("hello there"), new SamplingParams { Temperature = 0, MaxTokens = 4 }, CancellationToken.None).ToListAsync();

        var stats = await DecodeGrainProbe.WaitForIdleAsync(fixture.DecodeGrain);
        var bytes = stats.HandOffKvBytes - before.HandOffKvBytes;
        var tokens = stats.HandOffKvTokens - before.HandOffKvTokens;
        Assert.True(tokens > 0);
        Assert.Equal(2L * config.NumLayers * config.NumKvHeads * config.HeadDim * sizeof(float), bytes / tokens);
        Assert.Equal(0, bytes % tokens);
        Assert.Equal(0, stats.KvCacheUsage);
    }

    [Fact]
    public async Task Generate_ClientCancelsAfterHandOff_DecodeCacheFreed()
    {
        await DecodeGrainProbe.CancelAfterAsync(fixture.Backend, 2);

        var stats = await DecodeGrainProbe.WaitForIdleAsync(fixture.DecodeGrain);
        Assert.Equal(0, stats.Running);
        Assert.Equal(0, stats.Waiting);
        Assert.Equal(0, stats.KvCacheUsage);
    }

    /// <summary>Silo_0 {Prefill} and Silo_1 {Decode, Expert}, experts on shard grains; and the same model in process.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private const string PrefillSilo = "Silo_0";
        private readonly TempDirectory _directory = new("elastic-prefill-decode");
        private ServedModel? _served;
        private EngineLoop? _loop;

        public InProcessTestCluster Cluster { get; private set; } = null!;

        public IGenerationBackend Backend { get; private set; } = null!;

        public IDecodeGrain DecodeGrain => ((GrainGenerationBackend)Backend).DecodeGrain;

        public IGenerationBackend Local { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var checkpoint = TinyServedCheckpoint.Write(_directory.CreateSubdirectory("tiny-served"));
            var builder = new InProcessTestClusterBuilder(2);
            builder.ConfigureSilo((o, silo) => silo.AddElasticWorker(new WorkerOptions
            {
                Role = RolesOf(o.SiloName),
                ModelDirectory = checkpoint,
                Threads = 2,
                KvCacheBytes = 16L << 20,
                ExpertExecution = ExpertExecution.Cluster,
                ExpertShards = 2,
            }));
            Cluster = builder.Build();
            await Cluster.DeployAsync();
            await WaitUntilAsync(RolesPropagated, TimeSpan.FromSeconds(30), "silo roles did not propagate to every silo's metadata cache");

            var decode = Cluster.Silos.Single(s => s.Name != PrefillSilo).ServiceProvider;
            await decode.GetRequiredService<ExpertShardBootstrap>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
            Backend = decode.GetRequiredService<IGenerationBackend>();
            // Membership reaches the decode silo's view a little after the roles reach its metadata cache.
            var remote = decode.GetRequiredService<RemotePrefill>();
            await WaitUntilAsync(remote.ShouldUse, TimeSpan.FromSeconds(30), "the decode silo does not see the prefill silo");

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

        private static WorkerRole RolesOf(string silo) => silo == PrefillSilo ? WorkerRole.Prefill : WorkerRole.Decode | WorkerRole.Expert;

        private bool RolesPropagated() => Cluster.Silos.All(viewer =>
        {
            var cache = viewer.ServiceProvider.GetRequiredService<ISiloMetadataCache>();
            return Cluster.Silos.All(s => SiloRoles.Parse(cache.GetSiloMetadata(s.SiloAddress).Metadata.GetValueOrDefault(SiloRoles.MetadataKey)) == RolesOf(s.Name));
        });

        private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string failure)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException(failure);
                }

                await Task.Delay(50);
            }
        }
    }
}
