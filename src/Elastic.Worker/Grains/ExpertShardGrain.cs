using System.Diagnostics;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Worker.Experts;
using Elastic.Worker.Metrics;
using Elastic.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Elastic.Worker.Grains;

/// <summary>
/// Holds a set of routed experts and computes batches for them (<see cref="ShardExperts"/>): small batches in the
/// grain's turn, big ones on the thread pool; each batch's TorchSharp dispose scope opens and closes on one thread
/// with no await inside it. Engines of the same silo compute with the same experts in-process (<see cref="SiloLocal{TState}"/>).
/// </summary>
[RolePlacement(WorkerRole.Expert)]
internal sealed partial class ExpertShardGrain(
    [PersistentState("shard", PlacementStorage.Name)] IPersistentState<ExpertShardState> state,
    ILocalSiloDetails silo,
    ILogger<ExpertShardGrain> logger,
    IServiceProvider services) : Grain, IExpertShardGrain
{
    private ShardExperts _experts = null!;
    private SiloLocal<ShardExperts>? _local;
    private string? _checkpoint;

    private string Shard => this.GetPrimaryKeyString();

    public async Task<ExpertShardStatus> LoadAsync(string checkpointDirectory, ExpertId[] experts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        ArgumentNullException.ThrowIfNull(experts);
        var directory = Path.GetFullPath(checkpointDirectory);
        if (_checkpoint is not null && !string.Equals(_checkpoint, directory, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expert shard '{Shard}' serves checkpoint {_checkpoint}; it cannot also load from {directory}");
        }

        var missing = experts.Distinct().Where(e => !_experts.Experts.ContainsKey(e)).ToArray();
        if (missing.Length > 0)
        {
            var clock = Stopwatch.StartNew();
            var (hidden, loaded) = await Task.Run(() => LoadWeights(directory, missing)).ConfigureAwait(true);
            _experts.Add(hidden, loaded);
            _checkpoint = directory;
            var megabytes = loaded.Sum(w => w.Bytes) / 1e6;
            LogLoaded(logger, Shard, loaded.Count, _experts.Experts.Count, megabytes, clock.Elapsed.TotalSeconds);
            await RememberAsync().ConfigureAwait(true);
        }

        return Status();
    }

    /// <summary>
    /// An activation that finds a stored load (the shard ran before: its silo died, or Orleans moved the activation)
    /// loads the same experts again before it takes calls, so the placement table stays true without a caller's help.
    /// It then registers with the silo's <see cref="SiloLocal{TState}"/>, so engines here call it in-process.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _experts = new ShardExperts(Shard, services.GetService<ServingMetrics>());
        if (state.State is { Checkpoint: { } checkpoint, Experts.Length: > 0 } stored && Directory.Exists(checkpoint))
        {
            var clock = Stopwatch.StartNew();
            var (hidden, loaded) = await Task.Run(() => LoadWeights(checkpoint, stored.Experts), cancellationToken).ConfigureAwait(true);
            _experts.Add(hidden, loaded);
            _checkpoint = checkpoint;
            var megabytes = loaded.Sum(w => w.Bytes) / 1e6;
            LogRestored(logger, Shard, loaded.Count, megabytes, clock.Elapsed.TotalSeconds);
        }

        _local = services.GetService<SiloLocal<ShardExperts>>();
        _local?.Add(Shard, _experts);
    }

    private Task RememberAsync()
    {
        state.State.Checkpoint = _checkpoint;
        state.State.Experts = [.. _experts.Experts.Keys];
        return state.WriteStateAsync();
    }

    public async Task<ExpertShardStatus> UnloadAsync(ExpertId[] experts)
    {
        ArgumentNullException.ThrowIfNull(experts);
        var removed = _experts.Remove(experts.ToHashSet());
        if (removed > 0)
        {
            LogUnloaded(logger, Shard, removed, _experts.Experts.Count);
            await RememberAsync().ConfigureAwait(true);
        }

        return Status();
    }

    public Task<ExpertShardStatus> GetStatusAsync() => Task.FromResult(Status());

    private const long InlineComputeBytes = 8L << 20;

    public async Task<ExpertBatchResult> ComputeAsync(ExpertBatch batch)
    {
        using var work = _experts.Begin(batch);

        // A batch that touches a few MB of weights takes well under a millisecond: hopping to the thread pool
        // and back costs more than that on 2 cores (it halved single-stream tokens/s of the default model).
        // Bigger batches leave the grain scheduler free while they run.
        return work.WeightBytes <= InlineComputeBytes
            ? work.Compute()
            : await Task.Run(work.Compute).ConfigureAwait(true);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _local?.Remove(Shard, _experts);
        _experts.Remove(null);
        return Task.CompletedTask;
    }

    private static (int Hidden, List<ExpertWeights> Loaded) LoadWeights(string directory, ExpertId[] experts)
    {
        TorchRuntime.EnsureConfigured();
        using var reader = CheckpointReader.Open(directory);
        var c = reader.Config;
        foreach (var e in experts)
        {
            if (e.Layer < 0 || e.Layer >= c.NumLayers || !c.IsSparseLayer(e.Layer) || e.Expert < 0 || e.Expert >= c.NumExperts)
            {
                throw new ArgumentException($"{directory} has no routed expert {e} ({c.NumLayers} layers, {c.NumExperts} experts per MoE layer)", nameof(experts));
            }
        }

        var loaded = new List<ExpertWeights>(experts.Length);
        try
        {
            foreach (var e in experts)
            {
                loaded.Add(ExpertWeights.Load(reader, new ExpertKey(e.Layer, e.Expert)));
            }

            return (c.HiddenSize, loaded);
        }
        catch
        {
            foreach (var w in loaded)
            {
                w.Dispose();
            }

            throw;
        }
    }

    private ExpertShardStatus Status()
    {
        var experts = _experts.Experts;
        return new ExpertShardStatus(
            Shard,
            silo.SiloAddress.ToString(),
            _checkpoint,
            [.. experts.Keys.OrderBy(k => k.Layer).ThenBy(k => k.Expert)],
            experts.Values.Sum(w => w.Bytes),
            _experts.Batches,
            _experts.Rows);
    }

    [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "Expert shard {Shard} loaded {Count} experts ({Mb:F1} MB) in {Seconds:F2} s; holds {Total}")]
    private static partial void LogLoaded(ILogger logger, string shard, int count, int total, double mb, double seconds);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Information, Message = "Expert shard {Shard} restored {Count} experts ({Mb:F1} MB) on activation in {Seconds:F2} s")]
    private static partial void LogRestored(ILogger logger, string shard, int count, double mb, double seconds);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Expert shard {Shard} released {Count} experts; holds {Total}")]
    private static partial void LogUnloaded(ILogger logger, string shard, int count, int total);
}

/// <summary>What an expert shard holds, stored so a new activation of the shard can load the same experts.</summary>
[GenerateSerializer, Alias("elastic.ExpertShardState")]
internal sealed class ExpertShardState
{
    [Id(0)]
    public string? Checkpoint { get; set; }

    [Id(1)]
    public ExpertId[] Experts { get; set; } = [];
}
