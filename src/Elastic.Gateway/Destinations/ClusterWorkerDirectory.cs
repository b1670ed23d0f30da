using Elastic.Abstractions.Grains;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Elastic.Gateway.Destinations;

/// <summary>
/// The gateway's workers, learned from the Orleans cluster: every active silo with the Decode role that published an
/// HTTP endpoint. Long-polls <see cref="IClusterDirectoryGrain"/> through a cluster client (or a co-hosted silo's grain
/// factory), so silos joining and leaving change the YARP destinations within moments and no list is configured.
/// </summary>
public sealed partial class ClusterWorkerDirectory : IWorkerDirectory, IAsyncDisposable
{
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    // A call made before the client connected can stay unanswered; never wait on one much longer than a poll.
    private static readonly TimeSpan CallTimeout = PollWait + TimeSpan.FromSeconds(5);
    private readonly InMemoryWorkerDirectory _current = new([]);
    private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;
    private Task _watch = Task.CompletedTask;
    private int _disposed;

    /// <summary>A directory over <paramref name="grains"/>; call <see cref="Start"/> once that client (or silo) is connected.</summary>
    public ClusterWorkerDirectory(IGrainFactory grains, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(logger);
        _grains = grains;
        _logger = logger;
    }

    /// <summary>Starts following the cluster (once).</summary>
    public void Start()
    {
        if (_watch == Task.CompletedTask)
        {
            _watch = Task.Run(() => WatchAsync(_grains.GetGrain<IClusterDirectoryGrain>(0), _logger, _stop.Token));
        }
    }

    public IReadOnlyList<WorkerEndpoint> Workers => _current.Workers;

    /// <summary>Completes once the cluster answered the first time.</summary>
    public Task FirstAnswer => _firstAnswer.Task;

    public IChangeToken GetChangeToken() => _current.GetChangeToken();

    /// <summary>The decode workers of a cluster snapshot, as gateway destinations.</summary>
    public static IReadOnlyList<WorkerEndpoint> DecodeWorkers(ClusterWorkers snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return [.. snapshot.Workers
            .Where(w => w.Roles.HasFlag(WorkerRole.Decode) && Uri.TryCreate(w.HttpUrl, UriKind.Absolute, out _))
            .Select(w => new WorkerEndpoint(w.Silo, new Uri(w.HttpUrl!)))];
    }

    /// <summary>Stops following the cluster, its pending call on the silo included; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task WatchAsync(IClusterDirectoryGrain directory, ILogger logger, CancellationToken cancellationToken)
    {
        // Versions are per answering silo; -1 never matches, so a reconnect to another silo always gets a snapshot.
        var known = -1L;
        var failing = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await directory.WatchAsync(known, PollWait, cancellationToken).WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
                known = snapshot.Version;
                failing = false;
                var workers = DecodeWorkers(snapshot);
                if (!workers.SequenceEqual(_current.Workers))
                {
                    _current.Update(workers);
                    var addresses = string.Join(", ", workers.Select(w => w.Address));
                    LogWorkers(logger, workers.Count, addresses);
                }

                _firstAnswer.TrySetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The watch must outlive any cluster hiccup; the current workers stay until the cluster answers again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                known = -1;
                if (!failing)
                {
                    LogFailed(logger, ex.GetType().Name, ex.Message);
                    failing = true;
                }

                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Gateway workers from the cluster: {Count} ({Addresses})")]
    private static partial void LogWorkers(ILogger logger, int count, string addresses);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Reading the cluster's workers failed ({Error}: {Message}); keeping the last known set and retrying every second")]
    private static partial void LogFailed(ILogger logger, string error, string message);
}
