using System.Diagnostics;
using Elastic.Abstractions.Grains;
using Elastic.Worker.Cluster;
using Orleans.Runtime.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>
/// Makes a Prefill or Decode silo with <see cref="ExpertExecution.Cluster"/> ready to run its model's experts on
/// expert-shard grains: once the silo is active it publishes the first placement when the model's directory is
/// empty (every (layer, expert) spread evenly over <see cref="WorkerOptions.ExpertShards"/> shards) and has every
/// shard of the current placement load its experts. Idempotent across workers: a lost publish race re-reads the
/// winner's table, and shards keep experts they already hold. Failures (e.g. no Expert silo yet) are retried
/// until the silo stops; until then the worker is not ready and requests wait for it.
/// </summary>
public sealed partial class ExpertShardBootstrap : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private readonly WorkerModel _model;
    private readonly IGrainFactory _grains;
    private readonly ClusterMembers _members;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private Task _run = Task.CompletedTask;

    public ExpertShardBootstrap(IOptions<WorkerOptions> options, WorkerModel model, IGrainFactory grains, ClusterMembers members, ILogger<ExpertShardBootstrap> logger)
    {
        _members = members;
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _model = model;
        _grains = grains;
        _logger = logger;
        if (!IsNeeded(_options))
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>True once every shard of the model's placement holds its experts (at once when this silo needs no shards).</summary>
    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Completes when <see cref="IsReady"/> turns true; cancelled if the silo stops first.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>The placement the shards were loaded for; null before.</summary>
    public PlacementTable? Placement { get; private set; }

    /// <summary>Whether a silo with these settings runs experts on shards and so must prepare them.</summary>
    public static bool IsNeeded(WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ExpertExecution == ExpertExecution.Cluster && (options.Role & (WorkerRole.Prefill | WorkerRole.Decode)) != 0;
    }

    /// <summary>The id of shard <paramref name="index"/> of <paramref name="model"/> in the first placement.</summary>
    public static string ShardId(string model, int index) => $"{model}/shard-{index}";

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(ExpertShardBootstrap), ServiceLifecycleStage.Active, OnStartAsync, OnStopAsync);
    }

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        if (!IsReady)
        {
            // In the background: a decode pod may start before any expert pod; it stays unready meanwhile.
            _run = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _ready.TrySetCanceled(CancellationToken.None);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Placement = await PrepareAsync(cancellationToken).ConfigureAwait(false);
                _ready.TrySetResult();
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(_logger, attempt, RetryDelay.TotalSeconds, ex);
            }

            try
            {
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<PlacementTable> PrepareAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var served = await Task.Run(() => _model.Served, cancellationToken).ConfigureAwait(false);
        var config = served.Config;
        var directory = _grains.GetGrain<IPlacementDirectoryGrain>(served.Name);
        var table = await directory.GetAsync().ConfigureAwait(false);
        if (table.Version == 0)
        {
            int[] layers = [.. Enumerable.Range(0, config.NumLayers).Where(config.IsSparseLayer)];
            string[] shards = [.. Enumerable.Range(0, _options.ExpertShards).Select(i => ShardId(served.Name, i))];
            try
            {
                // Published as version 1 exactly, so of two workers starting together only the first one's table stands.
                table = await directory.PublishAsync(PlacementTable.SpreadEvenly(served.Name, 1, layers, config.NumExperts, shards, 1)).ConfigureAwait(false);
            }
            catch (PlacementVersionConflictException)
            {
                // Another worker published first: use its table.
                table = await directory.GetAsync().ConfigureAwait(false);
            }
        }

        var checkpoint = Path.GetFullPath(_options.ModelDirectory!);
        var statuses = await Task.WhenAll(LoadShards(table, checkpoint)).WaitAsync(cancellationToken).ConfigureAwait(false);
        var megabytes = statuses.Sum(s => s.Bytes) / 1e6;
        LogReady(_logger, served.Name, table.Version, table.Entries.Length, statuses.Length, megabytes, clock.Elapsed.TotalSeconds);
        return table;
    }

    /// <summary>
    /// Has every shard of <paramref name="table"/> load its experts. Shards not yet active are placed round robin over
    /// the Expert silos present (by address), so the first placement spreads evenly over the expert processes.
    /// </summary>
    private List<Task<ExpertShardStatus>> LoadShards(PlacementTable table, string checkpoint)
    {
        var silos = _members.SilosWithRole(WorkerRole.Expert);
        var loads = new List<Task<ExpertShardStatus>>();
        var index = 0;
        foreach (var (shard, experts) in table.ExpertsByShard().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (silos.Count > 0)
            {
                // Read only if this call activates the shard; an active shard stays where it is.
                RequestContext.Set(IPlacementDirector.PlacementHintKey, silos[index++ % silos.Count]);
            }

            loads.Add(_grains.GetGrain<IExpertShardGrain>(shard).LoadAsync(checkpoint, experts));
        }

        RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        return loads;
    }

    [LoggerMessage(EventId = 2250, Level = LogLevel.Information, Message = "Expert shards of {Model} ready: placement v{Version}, {Experts} experts on {Shards} shards ({Mb:F1} MB) after {Seconds:F2} s")]
    private static partial void LogReady(ILogger logger, string model, long version, int experts, int shards, double mb, double seconds);

    [LoggerMessage(EventId = 2251, Level = LogLevel.Warning, Message = "Preparing expert shards failed (attempt {Attempt}); retrying in {Seconds:F0} s")]
    private static partial void LogFailed(ILogger logger, int attempt, double seconds, Exception exception);
}
