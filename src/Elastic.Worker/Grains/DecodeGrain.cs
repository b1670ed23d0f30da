using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Inference.Generation;
using Elastic.Worker.Experts;
using Elastic.Worker.Hosting;
using Elastic.Worker.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Elastic.Worker.Grains;

/// <summary>
/// Owns the silo's continuous-batching engine for one model. Steps run on the engine loop's own thread;
/// admitting a request hands the endpoint the stream of its updates from this engine, which the endpoint reads
/// off the grain scheduler, so grain turns stay short. A request's prompt is prefilled in this engine, or on a prefill grain
/// whose KV cache and first token the engine imports (see <see cref="WorkerOptions.Prefill"/>).
/// A stateless worker (one activation, on the calling silo) rather than a directory-registered grain: only its own
/// silo calls it, and an activation registered in the grain directory is deactivated by Orleans when the silo
/// holding its directory entry leaves the cluster, which would end every running request on a healthy decoder.
/// Idle removal is off: Orleans deactivates a stateless worker that received no calls for a while ("Worker
/// deactivated due to inactivity", despite [KeepAlive]), and this grain gets calls only when requests arrive, so a
/// decoder busy with long generations and no new arrivals lost its engine mid-stream (the ClusterFaultTests flake).
/// </summary>
[StatelessWorker(1, removeIdleWorkers: false)]
[KeepAlive]
internal sealed partial class DecodeGrain(
    WorkerModel model,
    GenerationStreams streams,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<WorkerOptions> options,
    EngineMonitor monitor,
    RemotePrefill prefill,
    TransferCounters transfers,
    SiloLocal<ShardExperts> localShards,
    SiloLocal<PublishedTable> localPlacements,
    ILoggerFactory loggers) : Grain, IDecodeGrain, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<DecodeGrain>();
    private EngineLoop? _loop;
    private TextGenerator? _generator;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var served = await Task.Run(() => model.Served, cancellationToken).ConfigureAwait(true);
        var expected = DecodeGrainKey.For(silo.SiloAddress.ToString(), served.Name);
        if (!string.Equals(this.GetPrimaryKeyString(), expected, StringComparison.Ordinal))
        {
            // Requests reach the engine through this silo's in-process registry, so a decode grain elsewhere could never see them.
            throw new InvalidOperationException($"decode grain '{this.GetPrimaryKeyString()}' activated on {silo.SiloAddress}, which serves it as '{expected}'");
        }

        var o = options.Value;
        var engine = WorkerEngines.Create(served, o, grains, loggers, transfers, localShards, localPlacements, monitor.TraceSink);
        _loop = new EngineLoop(engine, loggers.CreateLogger<EngineLoop>(), o.LogStepPhases);
        monitor.Attach(engine);
        _generator = new TextGenerator(served, _loop);
        LogActivated(_logger, served.Name, o.ExpertExecution, o.KvCacheBytes / (1024.0 * 1024.0));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var code = reason.ReasonCode.ToString();
        var stats = _loop?.Engine.Stats;
        if (stats is { Running: > 0 } or { Waiting: > 0 })
        {
            // Requests will end with "the engine stopped": say why, where operators (and test logs) look for problems.
            LogDeactivatingBusy(_logger, stats.Running, stats.Waiting, code, reason.Description);
        }
        else
        {
            LogDeactivating(_logger, code, reason.Description);
        }

        return DisposeAsync().AsTask();
    }

    /// <summary>Stops the engine loop; running requests end with an error on their streams.</summary>
    public ValueTask DisposeAsync()
    {
        if (_loop is null)
        {
            return ValueTask.CompletedTask;
        }

        monitor.Detach(_loop.Engine);
        return _loop.DisposeAsync();
    }

    public Task AdmitAsync(Guid requestId)
    {
        if (!streams.TryTake(requestId, out var pending))
        {
            throw new InvalidOperationException($"request {requestId} is not registered on silo {silo.SiloAddress}; register it with this silo's GenerationStreams first");
        }

        var remote = prefill.ShouldUse() ? prefill : null;
        pending.Admit(remote is null
            ? _generator!.GenerateAsync(pending.Prompt, pending.Sampling, pending.CancellationToken)
            : remote.ThenDecodeAsync(_generator!, pending.Prompt, pending.Sampling, pending.CancellationToken));
        return Task.CompletedTask;
    }

    public Task<DecodeStats> GetStatsAsync()
    {
        var s = _loop!.Engine.Stats;
        return Task.FromResult(new DecodeStats(s.Running, s.Waiting, s.KvCacheUsage, s.Steps, s.GeneratedTokens, prefill.HandOffs, prefill.KvBytes, prefill.KvTokens));
    }

    [LoggerMessage(EventId = 2241, Level = LogLevel.Information, Message = "Decode engine stopping: grain deactivated ({Reason}: {Description})")]
    private static partial void LogDeactivating(ILogger logger, string reason, string description);

    [LoggerMessage(EventId = 2242, Level = LogLevel.Warning, Message = "Decode engine stopping with {Running} running and {Waiting} waiting requests: grain deactivated ({Reason}: {Description})")]
    private static partial void LogDeactivatingBusy(ILogger logger, int running, int waiting, string reason, string description);

    [LoggerMessage(EventId = 2240, Level = LogLevel.Information, Message = "Decode engine for {Model} active: experts {ExpertExecution}, KV cache {KvMb:F0} MiB")]
    private static partial void LogActivated(ILogger logger, string model, ExpertExecution expertExecution, double kvMb);
}
