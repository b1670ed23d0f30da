using System.Collections.Frozen;
using System.Diagnostics;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Worker.Metrics;
using TorchSharp;

namespace Elastic.Worker.Experts;

/// <summary>
/// The experts one expert shard holds and the one way to compute a batch with them, shared by the shard's grain and by
/// engines of the same silo that call the shard in-process (<see cref="SiloLocal{TState}"/>). Thread-safe: loads and unloads
/// swap the set whole, and weights taken out of it are disposed only once no batch computes with them any more.
/// </summary>
internal sealed class ShardExperts(string shard, ServingMetrics? metrics)
{
    // Counts where the experts run, with this shard's id; label lookups cached (one add per expert and layer).
    private readonly ExpertTokenCounter? _tokens = metrics is null ? null : new ExpertTokenCounter(metrics, shard);
    private readonly Lock _gate = new();
    private readonly List<ExpertWeights> _retired = [];
    private FrozenDictionary<ExpertId, ExpertWeights> _experts = FrozenDictionary<ExpertId, ExpertWeights>.Empty;
    private int _inFlight;
    private long _batches;
    private long _rows;

    public string Shard { get; } = shard;

    /// <summary>Hidden size of the experts held; 0 before the first load.</summary>
    public int Hidden { get; private set; }

    public FrozenDictionary<ExpertId, ExpertWeights> Experts => Volatile.Read(ref _experts);

    public long Batches => Interlocked.Read(ref _batches);

    public long Rows => Interlocked.Read(ref _rows);

    public void Add(int hidden, IEnumerable<ExpertWeights> loaded)
    {
        lock (_gate)
        {
            Hidden = hidden;
            _experts = _experts.Concat(loaded.Select(w => KeyValuePair.Create(new ExpertId(w.Key.Layer, w.Key.Expert), w))).ToFrozenDictionary();
        }
    }

    /// <summary>Takes <paramref name="experts"/> out of the set (all of them when null); returns how many it held.</summary>
    public int Remove(IReadOnlySet<ExpertId>? experts)
    {
        lock (_gate)
        {
            var removed = _experts.Where(p => experts is null || experts.Contains(p.Key)).Select(p => p.Value).ToList();
            if (removed.Count > 0)
            {
                _experts = _experts.Where(p => experts is not null && !experts.Contains(p.Key)).ToFrozenDictionary();
                _retired.AddRange(removed);
                DisposeRetiredIfIdle();
            }

            return removed.Count;
        }
    }

    /// <summary>
    /// Checks <paramref name="batch"/> against the set and holds the experts it needs until the returned batch is
    /// disposed. Throws <see cref="ExpertNotLoadedException"/> for an expert the shard does not hold.
    /// </summary>
    public ShardBatch Begin(ExpertBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Rows <= 0 || batch.Hidden <= 0 || batch.Input is null || batch.Input.Length != (long)batch.Rows * batch.Hidden)
        {
            throw new ArgumentException($"batch input must hold rows × hidden = {batch.Rows} × {batch.Hidden} floats, got {batch.Input?.Length ?? 0}", nameof(batch));
        }

        foreach (var a in batch.Assignments)
        {
            if (a.Rows.Length != a.Weights.Length || a.Rows.Any(r => (uint)r >= (uint)batch.Rows))
            {
                throw new ArgumentException($"assignment of expert {new ExpertId(batch.Layer, a.Expert)}: rows and weights must pair up and rows lie in 0..{batch.Rows - 1}", nameof(batch));
            }
        }

        lock (_gate)
        {
            if (Hidden != 0 && batch.Hidden != Hidden)
            {
                throw new ArgumentException($"batch hidden size {batch.Hidden} does not match the shard's experts ({Hidden})", nameof(batch));
            }

            var weights = Hold(batch.Layer, batch.Assignments, static a => a.Expert, out var missing)
                ?? throw new ExpertNotLoadedException(Shard, missing);
            return new ShardBatch(this, batch, weights);
        }
    }

    /// <summary>
    /// For an engine of this silo computing the shard's part of a layer itself: holds the experts of
    /// <paramref name="groups"/> (all of <paramref name="layer"/>) until <see cref="Release"/>, or returns null, holding
    /// nothing, when the shard lacks one of them.
    /// </summary>
    public ExpertWeights[]? TryHold(int layer, IReadOnlyList<ExpertGroup> groups)
    {
        lock (_gate)
        {
            return Hold(layer, groups, static g => g.Expert.Expert, out _);
        }
    }

    /// <summary>Under the gate: the weights of each item's expert, counted as in flight; null (and the first expert missing) if one is not held.</summary>
    private ExpertWeights[]? Hold<T>(int layer, IReadOnlyList<T> items, Func<T, int> expertOf, out ExpertId missing)
    {
        var weights = new ExpertWeights[items.Count];
        for (var i = 0; i < weights.Length; i++)
        {
            var id = new ExpertId(layer, expertOf(items[i]));
            if (!_experts.TryGetValue(id, out var w))
            {
                missing = id;
                return null;
            }

            weights[i] = w;
        }

        missing = default;
        _inFlight++;
        return weights;
    }

    /// <summary>Ends a <see cref="TryHold"/>, counting the computed batch as the grain counts its own.</summary>
    public void Release(int layer, IReadOnlyList<ExpertGroup> groups, int rows, bool computed)
    {
        End(computed ? (layer, rows, groups.Select(g => (g.Expert.Expert, g.Rows.Length))) : null);
    }

    private void End(ExpertBatch batch, bool computed) =>
        End(computed ? (batch.Layer, batch.Rows, batch.Assignments.Select(a => (a.Expert, a.Rows.Length))) : null);

    private void End((int Layer, int Rows, IEnumerable<(int Expert, int Rows)> Experts)? computed)
    {
        lock (_gate)
        {
            _inFlight--;
            DisposeRetiredIfIdle();
        }

        if (computed is { } batch)
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _rows, batch.Rows);
            CountTokens(batch.Layer, batch.Experts);
        }
    }

    /// <summary>elastic_expert_tokens_total with this shard's id: counted where the experts run.</summary>
    private void CountTokens(int layer, IEnumerable<(int Expert, int Rows)> experts)
    {
        if (_tokens is null)
        {
            return;
        }

        foreach (var (expert, rows) in experts)
        {
            _tokens.Count(new ExpertKey(layer, expert), rows);
        }
    }

    private void DisposeRetiredIfIdle()
    {
        // Batches already running hold weights of the old set; those may go only once none runs.
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

    /// <summary>One batch's hold on the shard's experts: compute it (once) on any thread, then dispose.</summary>
    internal sealed class ShardBatch(ShardExperts owner, ExpertBatch batch, ExpertWeights[] weights) : IDisposable
    {
        private bool _computed;
        private bool _disposed;

        /// <summary>Bytes of expert weights the batch reads.</summary>
        public long WeightBytes { get; } = weights.Sum(w => w.Bytes);

        public ExpertBatchResult Compute()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var clock = Stopwatch.StartNew();
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var x = torch.tensor(batch.Input, [batch.Rows, batch.Hidden]);
            var work = new (ExpertGroup Group, ExpertWeights Weights)[weights.Length];
            for (var i = 0; i < weights.Length; i++)
            {
                var a = batch.Assignments[i];
                work[i] = (new ExpertGroup(weights[i].Key, Array.ConvertAll(a.Rows, r => (long)r), a.Weights), weights[i]);
            }

            var output = TensorCopy.ToArray<float>(LocalExpertExecutor.Run(x, work));
            _computed = true;
            return new ExpertBatchResult(output, clock.Elapsed.TotalMilliseconds);
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                owner.End(batch, _computed);
            }
        }
    }
}
