using Elastic.Abstractions.Grains;
using Elastic.Gateway.Destinations;
using Elastic.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Elastic.Cli.Serve;

/// <summary>
/// The gateway's workers, fed from Orleans membership: every active silo with the Decode role that published an HTTP
/// endpoint. Silos that join or leave change the gateway's YARP destinations through the directory's change token.
/// </summary>
internal sealed partial class SiloWorkerDirectory : IWorkerDirectory, IAsyncDisposable
{
    private readonly InMemoryWorkerDirectory _current = new([]);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private readonly SiloAddress _local;
    private readonly IReadOnlyDictionary<string, string> _localMetadata;

    public SiloWorkerDirectory(IServiceProvider siloServices, ILogger logger)
    {
        var membership = siloServices.GetRequiredService<IClusterMembershipService>();
        var metadata = siloServices.GetRequiredService<ISiloMetadataCache>();
        _local = siloServices.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        _localMetadata = siloServices.GetRequiredService<IOptions<SiloMetadata>>().Value.Metadata;
        _watch = Task.Run(() => WatchAsync(membership, metadata, logger, _stop.Token));
    }

    public IReadOnlyList<WorkerEndpoint> Workers => _current.Workers;

    public IChangeToken GetChangeToken() => _current.GetChangeToken();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stop.Dispose();
    }

    private async Task WatchAsync(IClusterMembershipService membership, ISiloMetadataCache metadata, ILogger logger, CancellationToken cancellationToken)
    {
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // A silo's metadata can lag its membership entry by a moment; re-read until every active decode silo has it.
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var (workers, pending) = Decoders(snapshot, metadata);
                if (!workers.Select(w => w.Id).SequenceEqual(_current.Workers.Select(w => w.Id)))
                {
                    _current.Update(workers);
                    var addresses = string.Join(", ", workers.Select(w => w.Address));
                    LogWorkers(logger, workers.Count, addresses);
                }

                if (!pending)
                {
                    break;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private (List<WorkerEndpoint> Workers, bool Pending) Decoders(ClusterMembershipSnapshot snapshot, ISiloMetadataCache metadata)
    {
        var workers = new List<WorkerEndpoint>();
        var pending = false;
        foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).OrderBy(m => m.SiloAddress.ToString(), StringComparer.Ordinal))
        {
            // This silo's own entry may not be in the metadata cache yet; its options are authoritative.
            var values = member.SiloAddress.Equals(_local) ? _localMetadata : metadata.GetSiloMetadata(member.SiloAddress).Metadata;
            if (!values.TryGetValue(SiloRoles.MetadataKey, out var roles))
            {
                pending = true;
                continue;
            }

            if (SiloRoles.Parse(roles).HasFlag(WorkerRole.Decode) && values.TryGetValue(SiloRoles.HttpEndpointKey, out var url))
            {
                workers.Add(new WorkerEndpoint(member.SiloAddress.ToString(), new Uri(url)));
            }
        }

        return (workers, pending);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Gateway workers from the cluster: {Count} ({Addresses})")]
    private static partial void LogWorkers(ILogger logger, int count, string addresses);
}
