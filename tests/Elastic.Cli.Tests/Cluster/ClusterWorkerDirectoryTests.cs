using Elastic.Abstractions.Grains;
using Elastic.Gateway.Destinations;
using Elastic.Worker.Placement;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;

namespace Elastic.Cli.Tests.Cluster;

// Runs an Orleans test cluster, whose membership probes a core-saturating neighbour can starve (see ServingProcesses).
[Trait("Category", "Integration")]
[Collection(ServingProcesses.Name)]
public sealed class ClusterWorkerDirectoryTests
{
    [Fact]
    public async Task Workers_FollowDecodeSilosJoiningAndLeaving_ThroughAClusterClient()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            // Silo_0 and Silo_1 decode and publish an HTTP endpoint; Silo_2 only holds experts.
            var index = int.Parse(options.SiloName.Split('_')[^1], System.Globalization.CultureInfo.InvariantCulture);
            var decode = index < 2;
            silo.AddRolePlacement(
                decode ? WorkerRole.Decode : WorkerRole.Expert,
                extraMetadata: decode ? new Dictionary<string, string> { [SiloRoles.HttpEndpointKey] = $"http://127.0.0.1:{9100 + index}/" } : null);
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        // Through an external cluster client, as a separate gateway process reads it.
        await using var directory = new ClusterWorkerDirectory(cluster.Client, NullLogger.Instance);
        directory.Start();

        await WaitUntil(() => directory.Workers.Count == 2);
        Assert.Equal(["http://127.0.0.1:9100/", "http://127.0.0.1:9101/"], directory.Workers.Select(w => w.Address.ToString()).Order());

        var changed = directory.GetChangeToken();
        await cluster.StopSiloAsync(cluster.Silos.Single(s => s.Name.EndsWith("_1", StringComparison.Ordinal)));

        await WaitUntil(() => directory.Workers.Count == 1);
        Assert.True(changed.HasChanged);
        Assert.Equal("http://127.0.0.1:9100/", directory.Workers.Single().Address.ToString());
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 60 s");
            await Task.Delay(50);
        }
    }
}
