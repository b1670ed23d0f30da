using Elastic.Abstractions.Grains;
using Elastic.Worker.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Elastic.Worker.Cluster;

/// <summary>
/// This silo's view of the cluster's active workers (roles and HTTP endpoints from silo metadata), kept current from
/// Orleans membership. An immutable snapshot swapped on change; <see cref="WaitForChangeAsync"/> wakes waiters.
/// The gateway's directory, prefill selection and the expert-shard spread all read it.
/// </summary>
public sealed partial class ClusterMembers : IAsyncDisposable
{
    private static readonly TimeSpan MetadataRetry = TimeSpan.FromMilliseconds(100);
    private readonly IClusterMembershipService _membership;
    private readonly ISiloMetadataCache _metadata;
    private readonly SiloAddress _local;
    private readonly IReadOnlyDictionary<string, string> _localMetadata;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startLock = new();
    private readonly Lock _publishLock = new();
    private Task? _watch;
    private volatile State _state = new(new ClusterWorkers(0, []), [], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public ClusterMembers(IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails local, IOptions<SiloMetadata> localMetadata, ILogger<ClusterMembers> logger)
    {
        _membership = membership;
        _metadata = metadata;
        _local = local.SiloAddress;
        _localMetadata = localMetadata.Value.Metadata;
        _logger = logger;
    }

    /// <summary>Active silos having every flag of <paramref name="role"/>, ordered by address, with their Orleans addresses.</summary>
    public IReadOnlyList<SiloAddress> SilosWithRole(WorkerRole role)
    {
        EnsureWatching();
        var state = _state;
        return [.. state.Workers.Workers.Select((w, i) => (w, i)).Where(p => p.w.Roles.HasFlag(role)).Select(p => state.Addresses[p.i])];
    }

    /// <summary>Completes with the snapshot once its version differs from <paramref name="knownVersion"/> or <paramref name="maxWait"/> passes.</summary>
    public async Task<ClusterWorkers> WaitForChangeAsync(long knownVersion, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        EnsureWatching();
        var state = _state;
        if (state.Workers.Version != knownVersion)
        {
            return state.Workers;
        }

        // Unchanged after maxWait is the usual answer of a long poll (every 10 s per gateway), not an exception:
        // Task.WaitAsync's TimeoutException was the serving process's only recurring first-chance exception.
        var changed = state.Changed.Task;
        if (!changed.IsCompleted && maxWait > TimeSpan.Zero)
        {
            using var waitEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(changed, Task.Delay(maxWait, waitEnds.Token)).ConfigureAwait(false);
            await waitEnds.CancelAsync().ConfigureAwait(false);
        }

        if (!changed.IsCompleted)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return _state.Workers;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_watch is { } watch)
        {
            await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    private void EnsureWatching()
    {
        if (_watch is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_watch is null)
            {
                Publish(_membership.CurrentSnapshot);
                _watch = Task.Run(() => WatchAsync(_stop.Token));
            }
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in _membership.MembershipUpdates.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                // A silo's metadata can lag its membership entry by a moment; re-read until every active silo has it.
                for (var attempt = 0; attempt < 100 && Publish(snapshot); attempt++)
                {
                    await Task.Delay(MetadataRetry, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes the workers of <paramref name="snapshot"/> if they changed; true while some silo's metadata is still missing.</summary>
    private bool Publish(ClusterMembershipSnapshot snapshot)
    {
        lock (_publishLock)
        {
            return PublishLocked(snapshot);
        }
    }

    private bool PublishLocked(ClusterMembershipSnapshot snapshot)
    {
        var workers = new List<ClusterWorker>();
        var addresses = new List<SiloAddress>();
        var pending = false;
        foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).OrderBy(m => m.SiloAddress.ToString(), StringComparer.Ordinal))
        {
            // This silo's own entry may not be in the metadata cache yet; its options are authoritative.
            var values = member.SiloAddress.Equals(_local) ? _localMetadata : _metadata.GetSiloMetadata(member.SiloAddress).Metadata;
            if (!values.TryGetValue(SiloRoles.MetadataKey, out var roles))
            {
                pending = true;
                continue;
            }

            workers.Add(new ClusterWorker(member.SiloAddress.ToString(), SiloRoles.Parse(roles), values.GetValueOrDefault(SiloRoles.HttpEndpointKey)));
            addresses.Add(member.SiloAddress);
        }

        var old = _state;
        if (!workers.SequenceEqual(old.Workers.Workers))
        {
            var next = new State(new ClusterWorkers(old.Workers.Version + 1, [.. workers]), [.. addresses], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _state = next;
            old.Changed.TrySetResult();
            var described = string.Join(", ", workers.Select(w => $"{w.Silo} [{w.Roles}]"));
            LogChanged(_logger, next.Workers.Version, described);
        }

        return pending;
    }

    private sealed record State(ClusterWorkers Workers, SiloAddress[] Addresses, TaskCompletionSource Changed);

    [LoggerMessage(EventId = 2270, Level = LogLevel.Information, Message = "Cluster workers v{Version}: {Workers}")]
    private static partial void LogChanged(ILogger logger, long version, string workers);
}
