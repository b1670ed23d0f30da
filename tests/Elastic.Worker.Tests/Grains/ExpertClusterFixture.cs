using Elastic.Abstractions.Grains;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Worker.Experts;
using Elastic.Worker.Grains;
using Elastic.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace Elastic.Worker.Tests.Grains;

/// <summary>
/// An in-process cluster of three silos: Silo_0 decodes (no expert role), Silo_1 and Silo_2 hold
/// experts. Also writes a tiny Mixtral checkpoint and loads it locally as the reference.
/// </summary>
public sealed class ExpertClusterFixture : IAsyncLifetime
{
    public const string DecodeSilo = "Silo_0";
    private readonly TempDirectory _directory = new("elastic-worker-grains");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public string CheckpointDirectory => _directory.Path;

    public MoeModel Local { get; private set; } = null!;

    public static WorkerRole RolesOf(string siloName) => siloName == DecodeSilo ? WorkerRole.Decode : WorkerRole.Expert;

    public InProcessSiloHandle Silo(string name) => Cluster.Silos.Single(s => s.Name == name);

    public IReadOnlyList<InProcessSiloHandle> ExpertSilos => [.. Cluster.Silos.Where(s => RolesOf(s.Name).HasFlag(WorkerRole.Expert))];

    /// <summary>The expert shards active in silo <paramref name="name"/>.</summary>
    internal SiloLocal<ShardExperts> LocalShardsOf(string name) => Silo(name).ServiceProvider.GetRequiredService<SiloLocal<ShardExperts>>();

    /// <summary>The placement directories active in silo <paramref name="name"/>.</summary>
    internal SiloLocal<PublishedTable> LocalPlacementsOf(string name) => Silo(name).ServiceProvider.GetRequiredService<SiloLocal<PublishedTable>>();

    /// <summary>The grain factory of the decode silo: where the engine runs in production.</summary>
    public IGrainFactory DecodeGrains => Silo(DecodeSilo).ServiceProvider.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        TestCheckpoint.WriteTiny(_directory.Path, ModelFamily.Mixtral);
        Local = MoeModel.Load(_directory.Path);
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddRolePlacement(RolesOf(options.SiloName), o => o.MetadataWait = TimeSpan.FromSeconds(1)).AddInMemoryPlacementStorageIfMissing();
            silo.Services.AddSingleton<SiloLocal<ShardExperts>>();
            silo.Services.AddSingleton<SiloLocal<PublishedTable>>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await WaitForRolesToPropagateAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Local.Dispose();
        _directory.Dispose();
    }

    /// <summary>Activates <paramref name="shard"/> on the given silo (a placement hint, as a planner gives) and loads its experts.</summary>
    public async Task<ExpertShardStatus> LoadShardAsync(string shard, string siloName, IEnumerable<ExpertId> experts)
    {
        var grain = DecodeGrains.GetGrain<IExpertShardGrain>(shard);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, Silo(siloName).SiloAddress);
        try
        {
            return await grain.LoadAsync(CheckpointDirectory, [.. experts]);
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    /// <summary>Every (layer, expert) pair of the tiny model.</summary>
    public int[] SparseLayers => [.. Enumerable.Range(0, Local.Config.NumLayers).Where(Local.Config.IsSparseLayer)];

    public IEnumerable<ExpertId> AllExperts => SparseLayers.SelectMany(l => Enumerable.Range(0, Local.Config.NumExperts).Select(e => new ExpertId(l, e)));

    // Remote silos' roles reach each silo's metadata cache shortly after they join.
    private async Task WaitForRolesToPropagateAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var complete = Cluster.Silos.All(viewer =>
            {
                var cache = viewer.ServiceProvider.GetRequiredService<ISiloMetadataCache>();
                return Cluster.Silos.All(s => SiloRoles.Parse(cache.GetSiloMetadata(s.SiloAddress).Metadata.GetValueOrDefault(SiloRoles.MetadataKey)) == RolesOf(s.Name));
            });
            if (complete)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("silo roles did not propagate to every silo's metadata cache");
            }

            await Task.Delay(50);
        }
    }
}
