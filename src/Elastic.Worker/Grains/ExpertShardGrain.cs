using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Worker.Metrics;
using Elastic.Worker.Placement;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Worker.Grains;

/// <summary>
/// Holds a set of routed experts and computes batches for them. The SwiGLU runs on the thread pool,
/// never on the grain scheduler, and each batch's TorchSharp dispose scope opens and closes on that
/// one thread with no await inside it.
/// </summary>
[RolePlacement(WorkerRole.Expert)]
internal sealed partial class ExpertShardGrain(
    [PersistentState("shard", PlacementStorage.Name)] IPersistentState<ExpertShardState> state,
    ILocalSiloDetails silo,
    ILogger<ExpertShardGrain> logger,
    IServiceProvider services) : Grain, IExpertShardGrain
{
    // Swapped whole on load/unload so interleaved batches read a consistent snapshot without locks.
    private FrozenDictionary<ExpertId, ExpertWeights> _experts = FrozenDictionary<ExpertId, ExpertWeights>.Empty;
    private readonly List<ExpertWeights> _retired = [];
    private string? _checkpoint;
    private int _hidden;
    private int _inFlight;
    private long _batches;
    private long _rows;

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

        var missing = experts.Distinct().Where(e => !_experts.ContainsKey(e)).ToArray();
        if (missing.Length > 0)
        {
            var clock = Stopwatch.StartNew();
            var (hidden, loaded) = await Task.Run(() => LoadWeights(directory, missing)).ConfigureAwait(true);
            _experts = _experts.Concat(loaded.Select(w => KeyValuePair.Create(new ExpertId(w.Key.Layer, w.Key.Expert), w))).ToFrozenDictionary();
            _checkpoint = directory;
            _hidden = hidden;
            var megabytes = loaded.Sum(w => w.Bytes) / 1e6;
            LogLoaded(logger, Shard, loaded.Count, _experts.Count, megabytes, clock.Elapsed.TotalSeconds);
            await RememberAsync().ConfigureAwait(true);
        }

        return Status();
    }

    /// <summary>
    /// An activation that finds a stored load (the shard ran before: its silo died, or Orleans moved the activation)
    /// loads the same experts again before it takes calls, so the placement table stays true without a caller's help.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State is { Checkpoint: { } checkpoint, Experts.Length: > 0 } stored && Directory.Exists(checkpoint))
        {
            var clock = Stopwatch.StartNew();
            var (hidden, loaded) = await Task.Run(() => LoadWeights(checkpoint, stored.Experts), cancellationToken).ConfigureAwait(true);
            _experts = loaded.Select(w => KeyValuePair.Create(new ExpertId(w.Key.Layer, w.Key.Expert), w)).ToFrozenDictionary();
            _checkpoint = checkpoint;
            _hidden = hidden;
            var megabytes = loaded.Sum(w => w.Bytes) / 1e6;
            LogRestored(logger, Shard, loaded.Count, megabytes, clock.Elapsed.TotalSeconds);
        }
    }

    private Task RememberAsync()
    {
        state.State.Checkpoint = _checkpoint;
        state.State.Experts = [.. _experts.Keys];
        return state.WriteStateAsync();
    }

    public async Task<ExpertShardStatus> UnloadAsync(ExpertId[] experts)
    {
        ArgumentNullException.ThrowIfNull(experts);
        var drop = experts.ToHashSet();
        var removed = _experts.Where(p => drop.Contains(p.Key)).Select(p => p.Value).ToList();
        if (removed.Count > 0)
        {
            _experts = _experts.Where(p => !drop.Contains(p.Key)).ToFrozenDictionary();
            _retired.AddRange(removed);
            DisposeRetiredWhenIdle();
            LogUnloaded(logger, Shard, removed.Count, _experts.Count);
            await RememberAsync().ConfigureAwait(true);
        }

        return Status();
    }

    public Task<ExpertShardStatus> GetStatusAsync() => Task.FromResult(Status());

    private const long InlineComputeBytes = 8L << 20;

    public async Task<ExpertBatchResult> ComputeAsync(ExpertBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var weights = Resolve(batch);
        _inFlight++;
        try
        {
            var clock = Stopwatch.StartNew();

            // A batch that touches a few MB of weights takes well under a millisecond: hopping to the thread pool
            // and back costs more than that on 2 cores (it halved single-stream tokens/s of the default model).
            // Bigger batches leave the grain scheduler free while they run.
            var bytes = weights.Sum(w => w.Bytes);
            var output = bytes <= InlineComputeBytes
                ? Compute(batch, weights)
                : await Task.Run(() => Compute(batch, weights)).ConfigureAwait(true);
            _batches++;
            _rows += batch.Rows;
            CountTokens(batch);
            return new ExpertBatchResult(output, clock.Elapsed.TotalMilliseconds);
        }
        finally
        {
            _inFlight--;
            DisposeRetiredWhenIdle();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _retired.AddRange(_experts.Values);
        _experts = FrozenDictionary<ExpertId, ExpertWeights>.Empty;
        DisposeRetiredWhenIdle();
        return Task.CompletedTask;
    }

    /// <summary>
    /// elastic_expert_tokens_total with this shard's id: counted where the experts run, so an expert pod reports
    /// its own shard's load (the decode side counts only when experts are local).
    /// </summary>
    private void CountTokens(ExpertBatch batch)
    {
        if (services.GetService(typeof(ServingMetrics)) is not ServingMetrics metrics)
        {
            return;
        }

        var layer = batch.Layer.ToString(CultureInfo.InvariantCulture);
        foreach (var assignment in batch.Assignments)
        {
            metrics.ExpertTokens.WithLabels(layer, assignment.Expert.ToString(CultureInfo.InvariantCulture), Shard).Inc(assignment.Rows.Length);
        }
    }

    private ExpertWeights[] Resolve(ExpertBatch batch)
    {
        if (batch.Rows <= 0 || batch.Hidden <= 0 || batch.Input is null || batch.Input.Length != (long)batch.Rows * batch.Hidden)
        {
            throw new ArgumentException($"batch input must hold rows × hidden = {batch.Rows} × {batch.Hidden} floats, got {batch.Input?.Length ?? 0}", nameof(batch));
        }

        if (_hidden != 0 && batch.Hidden != _hidden)
        {
            throw new ArgumentException($"batch hidden size {batch.Hidden} does not match the shard's experts ({_hidden})", nameof(batch));
        }

        var experts = _experts;
        var result = new ExpertWeights[batch.Assignments.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var a = batch.Assignments[i];
            var id = new ExpertId(batch.Layer, a.Expert);
            if (!experts.TryGetValue(id, out var w))
            {
                throw new ExpertNotLoadedException(Shard, id);
            }

            if (a.Rows.Length != a.Weights.Length || a.Rows.Any(r => (uint)r >= (uint)batch.Rows))
            {
                throw new ArgumentException($"assignment of expert {id}: rows and weights must pair up and rows lie in 0..{batch.Rows - 1}", nameof(batch));
            }

            result[i] = w;
        }

        return result;
    }

    private static float[] Compute(ExpertBatch batch, ExpertWeights[] weights)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(batch.Input, [batch.Rows, batch.Hidden]);
        var work = new (ExpertGroup Group, ExpertWeights Weights)[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            var a = batch.Assignments[i];
            work[i] = (new ExpertGroup(weights[i].Key, Array.ConvertAll(a.Rows, r => (long)r), a.Weights), weights[i]);
        }

        return TensorCopy.ToArray<float>(LocalExpertExecutor.Run(x, work));
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

    private void DisposeRetiredWhenIdle()
    {
        // Batches already running captured the old snapshot; their weights may go only once none runs.
        if (_inFlight > 0)
        {
            return;
        }

        foreach (var w in _retired)
        {
            w.Dispose();
        }

        _retired.Clear();
    }

    private ExpertShardStatus Status()
    {
        var experts = _experts;
        return new ExpertShardStatus(
            Shard,
            silo.SiloAddress.ToString(),
            _checkpoint,
            [.. experts.Keys.OrderBy(k => k.Layer).ThenBy(k => k.Expert)],
            experts.Values.Sum(w => w.Bytes),
            _batches,
            _rows);
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
