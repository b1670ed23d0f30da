using Elastic.Gateway.Configuration;
using Elastic.Gateway.Destinations;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Elastic.Gateway.Tests.Destinations;

[Trait("Category", "Unit")]
public sealed class WorkerProxyConfigProviderTests
{
    private const string Worker = "http://127.0.0.1:9001/";

    [Fact]
    public void WorkerJoiningWhileTheProviderStarts_IsInItsFirstConfig()
    {
        // The silo's worker lands in the directory between the provider's read and its subscription.
        var directory = new ChangesOnFirstRead(new InMemoryWorkerDirectory([]), WorkerEndpoint.FromUrl(Worker));
        using var provider = new WorkerProxyConfigProvider(directory, Options.Create(new GatewayOptions()));

        Assert.Equal([Worker], Addresses(provider));
    }

    [Fact]
    public void DirectoryChange_RebuildsTheConfig_AndSignalsTheOldOne()
    {
        var directory = new InMemoryWorkerDirectory([]);
        using var provider = new WorkerProxyConfigProvider(directory, Options.Create(new GatewayOptions()));
        var before = provider.GetConfig();

        directory.Update([WorkerEndpoint.FromUrl(Worker)]);

        Assert.True(before.ChangeToken.HasChanged);
        Assert.Empty(before.Clusters.Single().Destinations!);
        Assert.Equal([Worker], Addresses(provider));
    }

    private static string[] Addresses(WorkerProxyConfigProvider provider) =>
        [.. provider.GetConfig().Clusters.Single().Destinations!.Values.Select(d => d.Address)];

    /// <summary>A directory whose first read of the workers is overtaken by a change, as a joining silo can do.</summary>
    private sealed class ChangesOnFirstRead(InMemoryWorkerDirectory inner, WorkerEndpoint joining) : IWorkerDirectory
    {
        private bool _joined;

        public IReadOnlyList<WorkerEndpoint> Workers
        {
            get
            {
                var current = inner.Workers;
                if (!_joined)
                {
                    _joined = true;
                    inner.Update([joining]);
                }

                return current;
            }
        }

        public IChangeToken GetChangeToken() => inner.GetChangeToken();
    }
}
