using System.Runtime.ExceptionServices;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Worker.Cluster;
using Elastic.Worker.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Worker.Experts;

/// <summary>
/// Runs routed experts on expert-shard grains: per MoE layer, the step's rows are grouped by owning
/// shard under the placement version pinned for the whole step, each shard gets one call with only
/// the rows it needs, and the weighted partial sums are added up. A call that fails because its
/// silo is gone, it timed out or the shard came back empty is retried once on another replica.
/// Shards active in this very silo (<see cref="SiloLocal{TState}"/>) are computed in-process with their experts, on
/// this thread and in one pass over the step's hidden states, instead of through grain calls: no copies, no thread
/// hops. Likewise the step's placement is read from the directory's last stored table when the directory is active here.
/// </summary>
/// <remarks>
/// Runs on the engine's compute thread and blocks on the grain calls there: that thread exists for
/// this, and blocking it costs nothing else. It must never run inside a grain turn. One instance
/// serves one engine (one step at a time); it is not thread-safe.
/// </remarks>
public sealed partial class OrleansExpertExecutor : IExpertExecutor, IStepScopedExpertExecutor
{
    private readonly IGrainFactory _grains;
    private readonly IPlacementDirectoryGrain _directory;
    private readonly ILogger _logger;
    private readonly TransferCounters? _transfers;
    private readonly SiloLocal<ShardExperts>? _local;
    private readonly SiloLocal<PublishedTable>? _localPlacements;

    // Grain references by shard id: GetGrain resolves the interface type on every call (~1 % of the engine thread).
    private readonly Dictionary<string, IExpertShardGrain> _shards = new(StringComparer.Ordinal);
    private Placement? _latest;
    private bool _directoryUnreachable;
    private Placement? _pinned;

    /// <param name="grains">Grain factory of the hosting silo or a cluster client.</param>
    /// <param name="model">The model name: key of its <see cref="IPlacementDirectoryGrain"/>.</param>
    /// <param name="logger">Logs placement changes and retries.</param>
    /// <param name="transfers">Counts the bytes of every call to another silo's shard, and the in-process ones apart, when given.</param>
    /// <param name="local">The shards of the silo this executor runs in, computed in-process; null sends every batch as a grain call.</param>
    /// <param name="localPlacements">The placement directories of the silo this executor runs in; null asks the directory grain every step.</param>
    internal OrleansExpertExecutor(IGrainFactory grains, string model, ILogger? logger = null, TransferCounters? transfers = null, SiloLocal<ShardExperts>? local = null, SiloLocal<PublishedTable>? localPlacements = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        _grains = grains;
        Model = model;
        _directory = grains.GetGrain<IPlacementDirectoryGrain>(model);
        _logger = logger ?? NullLogger.Instance;
        _transfers = transfers;
        _local = local;
        _localPlacements = localPlacements;
    }

    public string Model { get; }

    /// <summary>The placement version the running step is pinned to; null between steps.</summary>
    public long? PinnedVersion => _pinned?.Table.Version;

    /// <summary>The newest placement version this executor has seen; 0 before any.</summary>
    public long KnownVersion => _latest?.Table.Version ?? 0;

    /// <summary>The placement version the latest <see cref="Execute"/> grouped its rows under; 0 before any.</summary>
    public long LastUsedVersion { get; private set; }

    /// <summary>Calls retried on another replica since creation.</summary>
    public long Retries { get; private set; }

    /// <summary>Shard batches computed in-process (the shard is active in this silo) since creation.</summary>
    public long InProcessCalls { get; private set; }

    /// <summary>Placements read in-process (the directory is active in this silo) since creation.</summary>
    public long InProcessPlacementReads { get; private set; }

    public void BeginStep()
    {
        ThrowIfOnGrainScheduler();
        _pinned = Refresh();
    }

    public void EndStep() => _pinned = null;

    public Tensor Execute(Tensor hidden, ExpertRouting routing)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(routing);
        ThrowIfOnGrainScheduler();

        // Used outside a step (no BeginStep): the call gets its own snapshot.
        var placement = _pinned ?? Refresh();
        LastUsedVersion = placement.Table.Version;
        var rows = routing.Rows;
        var width = (int)hidden.size(1);
        if (routing.Groups.Count == 0)
        {
            return torch.zeros(rows, width);
        }

        var byShard = Assign(placement, routing.Groups, skip: null);
        var here = HoldHere(byShard, routing.Layer, width);
        List<ShardCall> calls = [];
        float[]? input = null;
        try
        {
            if (byShard.Count > 0)
            {
                input = TensorCopy.ToArray<float>(hidden);
                calls = Send(placement, routing, input, width, byShard);
            }
        }
        catch
        {
            Release(routing, here, computed: false);
            throw;
        }

        // After the grain calls went out, so the other silos compute while this thread does.
        var result = here.Count > 0 ? ComputeHere(hidden, routing, here) : null;
        if (calls.Count == 0)
        {
            return result!;
        }

        var output = new float[rows * width];
        var failed = Complete(calls, output, width, _transfers);
        if (failed.Count > 0)
        {
            Retry(placement, routing, input!, width, failed, output);
        }

        var remote = torch.tensor(output, [rows, width]);
        return result is null ? remote : result.add_(remote);
    }

    private void Retry(Placement placement, ExpertRouting routing, float[] input, int width, List<(ShardCall Call, Exception Error)> failed, float[] output)
    {
        var dead = failed.Select(f => f.Call.Shard).ToHashSet(StringComparer.Ordinal);
        var groups = failed.SelectMany(f => f.Call.Groups).ToList();
        foreach (var (call, error) in failed)
        {
            LogRetrying(_logger, call.Shard, routing.Layer, placement.Table.Version, error.GetType().Name, error.Message);
        }

        List<ShardCall> retries;
        try
        {
            retries = Plan(placement, routing, input, width, skip: dead, only: groups);
        }
        catch (InvalidOperationException)
        {
            // No other replica for some expert: surface the original failure, not the planning one.
            ExceptionDispatchInfo.Capture(failed[0].Error).Throw();
            throw;
        }

        Retries += retries.Count;
        var again = Complete(retries, output, width, _transfers);
        if (again.Count > 0)
        {
            ExceptionDispatchInfo.Capture(again[0].Error).Throw();
        }
    }

    /// <summary>Groups the routing's experts by the first usable replica and sends one compact batch per shard.</summary>
    private List<ShardCall> Plan(Placement placement, ExpertRouting routing, float[] input, int width, HashSet<string>? skip, List<ExpertGroup>? only = null) =>
        Send(placement, routing, input, width, Assign(placement, only ?? routing.Groups, skip));

    /// <summary>
    /// The groups of each shard that computes them: the first replica of each expert not in <paramref name="skip"/>.
    /// Shards come in a fixed (ordinal) order, not the order a batch first meets them: a row's weighted sum is added in
    /// that order, and floating-point addition is not associative, so a row must not depend on its batch mates.
    /// </summary>
    private SortedDictionary<string, List<ExpertGroup>> Assign(Placement placement, IReadOnlyList<ExpertGroup> groups, HashSet<string>? skip)
    {
        var byShard = new SortedDictionary<string, List<ExpertGroup>>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var id = new ExpertId(group.Expert.Layer, group.Expert.Expert);
            if (!placement.Shards.TryGetValue(id, out var replicas))
            {
                throw new InvalidOperationException($"placement v{placement.Table.Version} of model '{Model}' places no shard for expert {id}");
            }

            var shard = replicas.FirstOrDefault(r => skip is null || !skip.Contains(r))
                ?? throw new InvalidOperationException($"placement v{placement.Table.Version} of model '{Model}' has no live replica for expert {id}");
            if (!byShard.TryGetValue(shard, out var list))
            {
                byShard[shard] = list = [];
            }

            list.Add(group);
        }

        return byShard;
    }

    private List<ShardCall> Send(Placement placement, ExpertRouting routing, float[] input, int width, SortedDictionary<string, List<ExpertGroup>> byShard)
    {
        var calls = new List<ShardCall>(byShard.Count);
        foreach (var (shard, groups) in byShard)
        {
            var batch = BuildBatch(placement.Table.Version, routing, input, width, groups, out var globalRows);
            if (!_shards.TryGetValue(shard, out var grain))
            {
                _shards[shard] = grain = _grains.GetGrain<IExpertShardGrain>(shard);
            }

            calls.Add(new ShardCall(shard, groups, globalRows, PayloadBytes(batch), grain.ComputeAsync(batch)));
        }

        return calls;
    }

    /// <summary>
    /// Takes out of <paramref name="byShard"/> the shards active in this silo that hold all their experts of the layer,
    /// holding those experts until <see cref="ComputeHere"/> releases them. A shard mid-load, mid-unload or
    /// deactivating stays in <paramref name="byShard"/>: its grain call gets the shard's own answer.
    /// </summary>
    private List<HeldShard> HoldHere(SortedDictionary<string, List<ExpertGroup>> byShard, int layer, int width)
    {
        List<HeldShard> held = [];
        if (_local is null)
        {
            return held;
        }

        foreach (var (shard, groups) in byShard)
        {
            if (_local.TryGet(shard, out var experts) && experts.Hidden == width && experts.TryHold(layer, groups) is { } weights)
            {
                held.Add(new HeldShard(experts, groups, weights));
            }
        }

        foreach (var h in held)
        {
            byShard.Remove(h.Experts.Shard);
        }

        return held;
    }

    /// <summary>
    /// Runs every held shard's experts on this thread in one pass over the step's hidden states (no copies: the rows
    /// stay where the routing put them), then releases the experts and counts each shard's batch as its grain would.
    /// </summary>
    private Tensor ComputeHere(Tensor hidden, ExpertRouting routing, List<HeldShard> here)
    {
        var work = new List<(ExpertGroup Group, ExpertWeights Weights)>();
        foreach (var h in here)
        {
            for (var i = 0; i < h.Groups.Count; i++)
            {
                work.Add((h.Groups[i], h.Weights[i]));
            }
        }

        var computed = false;
        try
        {
            var result = LocalExpertExecutor.Run(hidden, work);
            computed = true;
            return result;
        }
        finally
        {
            Release(routing, here, computed);
        }
    }

    private void Release(ExpertRouting routing, List<HeldShard> here, bool computed)
    {
        foreach (var h in here)
        {
            h.Experts.Release(routing.Layer, h.Groups, UsedRows(h.Groups, routing.Rows).Count, computed);
            if (computed)
            {
                _transfers?.AddInProcessExpertCall();
            }
        }

        if (computed)
        {
            InProcessCalls += here.Count;
        }
    }

    /// <summary>Which of the step's <paramref name="rows"/> the groups use, and how many they are.</summary>
    private static (bool[] Used, int Count) UsedRows(List<ExpertGroup> groups, int rows)
    {
        var used = new bool[rows];
        var count = 0;
        foreach (var group in groups)
        {
            foreach (var row in group.Rows)
            {
                if (!used[row])
                {
                    used[row] = true;
                    count++;
                }
            }
        }

        return (used, count);
    }

    private sealed record HeldShard(ShardExperts Experts, List<ExpertGroup> Groups, ExpertWeights[] Weights);

    private static ExpertBatch BuildBatch(long version, ExpertRouting routing, float[] input, int width, List<ExpertGroup> groups, out int[] globalRows)
    {
        // The shard's rows in step order: local[step row] is the row's index in the batch, globalRows the reverse.
        var (used, count) = UsedRows(groups, routing.Rows);
        var local = new int[routing.Rows];
        globalRows = new int[count];
        for (int r = 0, i = 0; r < used.Length; r++)
        {
            if (used[r])
            {
                local[r] = i;
                globalRows[i++] = r;
            }
        }

        float[] compact;
        if (count == routing.Rows)
        {
            // Every row goes to this shard: the step's one copy is shared (payloads are immutable).
            compact = input;
        }
        else
        {
            compact = new float[count * width];
            for (var i = 0; i < count; i++)
            {
                Array.Copy(input, (long)globalRows[i] * width, compact, (long)i * width, width);
            }
        }

        var assignments = new ExpertAssignment[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var rows = new int[group.Rows.Length];
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = local[group.Rows[i]];
            }

            assignments[g] = new ExpertAssignment(group.Expert.Expert, rows, group.Weights);
        }

        return new ExpertBatch(version, routing.Layer, count, width, compact, assignments);
    }

    /// <summary>Waits for every call, adds the results into <paramref name="output"/>, returns the retryable failures.</summary>
    private static List<(ShardCall Call, Exception Error)> Complete(List<ShardCall> calls, float[] output, int width, TransferCounters? transfers)
    {
        var failed = new List<(ShardCall, Exception)>();
        foreach (var call in calls)
        {
            ExpertBatchResult result;
            try
            {
                result = call.Task.GetAwaiter().GetResult();
            }
            catch (Exception ex) when (IsRetryable(ex))
            {
                failed.Add((call, ex));
                continue;
            }

            transfers?.AddExpertCall(call.PayloadBytes, (long)result.Output.Length * sizeof(float));
            if (result.Output.Length != call.GlobalRows.Length * width)
            {
                throw new InvalidOperationException($"expert shard '{call.Shard}' returned {result.Output.Length} floats for {call.GlobalRows.Length} rows × {width}");
            }

            for (var i = 0; i < call.GlobalRows.Length; i++)
            {
                var target = output.AsSpan(call.GlobalRows[i] * width, width);
                var source = result.Output.AsSpan(i * width, width);
                for (var j = 0; j < width; j++)
                {
                    target[j] += source[j];
                }
            }
        }

        return failed;
    }

    private static bool IsRetryable(Exception ex) => GrainCallFailures.IsUnreachable(ex) || ex is ExpertNotLoadedException;

    private Placement Refresh()
    {
        var known = _latest;
        PlacementTable? newer;
        try
        {
            var knownVersion = known?.Table.Version ?? -1;
            if (_localPlacements is not null && _localPlacements.TryGet(Model, out var published))
            {
                var table = published.Table;
                newer = table.Version > knownVersion ? table : null;
                InProcessPlacementReads++;
            }
            else
            {
                newer = _directory.GetIfNewerAsync(knownVersion).GetAwaiter().GetResult();
            }

            _directoryUnreachable = false;
        }
        catch (Exception ex) when (known is not null && IsRetryable(ex))
        {
            // The directory's silo is gone and the cluster has not moved it yet: keep routing by the table we hold.
            if (!_directoryUnreachable)
            {
                LogDirectoryUnreachable(_logger, Model, known.Table.Version, ex.GetType().Name);
                _directoryUnreachable = true;
            }

            return known;
        }

        if (newer is null)
        {
            return known!;
        }

        var placement = new Placement(newer, newer.Entries.ToDictionary(e => e.Expert, e => e.Shards));
        _latest = placement;
        LogPlacementChanged(_logger, Model, known?.Table.Version ?? 0, newer.Version, newer.Entries.Length);
        return placement;
    }

    private static void ThrowIfOnGrainScheduler()
    {
        if (TaskScheduler.Current != TaskScheduler.Default)
        {
            throw new InvalidOperationException(
                "OrleansExpertExecutor blocks on grain calls and must run on the engine's compute thread, never inside a grain turn or on another custom scheduler.");
        }
    }

    private sealed record Placement(PlacementTable Table, Dictionary<ExpertId, string[]> Shards);

    /// <summary>The batch's array payload: rows × hidden floats plus each assignment's row indices and weights.</summary>
    private static long PayloadBytes(ExpertBatch batch) =>
        sizeof(float) * ((long)batch.Rows * batch.Hidden + batch.Assignments.Sum(a => 1L + a.Rows.Length + a.Weights.Length));

    private sealed record ShardCall(string Shard, List<ExpertGroup> Groups, int[] GlobalRows, long PayloadBytes, Task<ExpertBatchResult> Task);

    [LoggerMessage(EventId = 2220, Level = LogLevel.Information, Message = "Expert placement of {Model}: v{Old} → v{New} ({Experts} experts); takes effect from the next step")]
    private static partial void LogPlacementChanged(ILogger logger, string model, long old, long @new, int experts);

    [LoggerMessage(EventId = 2222, Level = LogLevel.Warning, Message = "Placement directory of {Model} unreachable ({Error}); routing by the known v{Version} until it answers")]
    private static partial void LogDirectoryUnreachable(ILogger logger, string model, long version, string error);

    [LoggerMessage(EventId = 2221, Level = LogLevel.Warning, Message = "Expert call to shard {Shard} (layer {Layer}, placement v{Version}) failed with {Error}: {Message}; retrying on another replica")]
    private static partial void LogRetrying(ILogger logger, string shard, int layer, long version, string error, string message);
}
