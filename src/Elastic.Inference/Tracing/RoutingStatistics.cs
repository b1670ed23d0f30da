using System.Text.Json;
using Elastic.Inference.Experts;

namespace Elastic.Inference.Tracing;

/// <summary>
/// Aggregates routing traces into expert-load, per-domain and inter-layer co-activation counts as
/// they arrive, so a long trace never has to be held in memory.
/// </summary>
/// <remarks>
/// <para>
/// Co-activation pairs a token's experts at one sparse layer with its experts at the next sparse
/// layer. Steps may run on several threads (or several engines may share one collector) and a
/// step's layers could in principle arrive in any order, so each in-flight token, keyed by
/// (sequence id, position), keeps a small chain of the layers it has been seen at, sorted by layer.
/// Pair counts are updated eagerly as a chain grows: a layer landing between two chain neighbours
/// a &lt; l &lt; b retracts the (a, b) pair it splits and adds (a, l) and (l, b). The counts thus always
/// equal those of every token's sorted chain whatever the arrival order, and a chain can be dropped
/// at any time without losing what was counted: dropping only forgoes pairs with layers that have
/// not arrived yet.
/// </para>
/// <para>
/// A chain is dropped (a) once the token has been seen at every sparse layer: at
/// <c>sparseLayerCount</c> layers when the caller knows it from the model config, otherwise at all
/// layers traced so far, but only after that set has stopped growing for a while (while it is being
/// discovered a chain could look complete after its first layer); (b) when none of the token's rows
/// arrived during a whole ageing interval of <c>staleAfterCalls</c> trace calls (aborted steps,
/// tokens that skip a layer, the discovery-phase chains); and (c) all at once if more than
/// <c>maxPendingTokens</c> are pending, a safety valve. Memory is thus bounded by the tokens in
/// flight, not by the trace length. Ageing counts calls rather than step numbers because engines
/// sharing a collector number their steps independently. Pairs of sparse layers that turn out not
/// to be consecutive (a token seen only at layers 1 and 5 while 3 is also sparse) are counted but
/// left out of the snapshot.
/// </para>
/// <para>
/// A row's domain is the label its sequence had when the row was routed: label a sequence before
/// its first step. Labels are kept until <see cref="Forget"/>.
/// </para>
/// </remarks>
public sealed class RoutingStatisticsCollector : IRoutingTraceSink
{
    /// <summary>Domain under which rows of sequences without a label are counted.</summary>
    public const string Unlabelled = "unlabelled";

    private readonly Lock _gate = new();
    private readonly int _numExperts;
    private readonly int? _sparseLayerCount;
    private readonly long? _staleAfterCalls;
    private readonly int _maxPendingTokens;
    private readonly SortedDictionary<int, LayerState> _layers = [];
    private readonly Dictionary<long, string> _labels = [];
    private readonly Dictionary<(int From, int To), PairState> _pairs = [];
    private readonly Dictionary<RowOrigin, TokenChain> _pending = [];
    private long _calls;
    private long _lastSweepCall;
    private long _layerSetChangedAtCall;

    /// <param name="numExperts">Routed experts per MoE layer: routed ids must lie in [0, numExperts).</param>
    /// <param name="sparseLayerCount">MoE layers of the model, if known: lets a token's chain go as soon as it is complete.</param>
    /// <param name="staleAfterCalls">Ageing interval in trace calls; by default max(64, 4 × sparse layers), a few steps.</param>
    /// <param name="maxPendingTokens">Pending chains beyond which all are dropped.</param>
    public RoutingStatisticsCollector(int numExperts, int? sparseLayerCount = null, int? staleAfterCalls = null, int maxPendingTokens = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numExperts);
        if (sparseLayerCount is { } layers)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers, nameof(sparseLayerCount));
        }

        if (staleAfterCalls is { } calls)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(calls, nameof(staleAfterCalls));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPendingTokens);
        _numExperts = numExperts;
        _sparseLayerCount = sparseLayerCount;
        _staleAfterCalls = staleAfterCalls;
        _maxPendingTokens = maxPendingTokens;
    }

    /// <summary>Token chains still waiting for more layers; exposed so tests can see memory stays bounded.</summary>
    public int PendingTokens
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Counts the sequence's future rows under <paramref name="label"/> (a domain such as "json").</summary>
    public void Label(long sequenceId, string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        lock (_gate)
        {
            _labels[sequenceId] = label;
        }
    }

    /// <summary>Drops the sequence's label once it has finished, keeping the label table bounded.</summary>
    public void Forget(long sequenceId)
    {
        lock (_gate)
        {
            _labels.Remove(sequenceId);
        }
    }

    /// <remarks>The step number is not relied on: see the type's remarks.</remarks>
    public void OnLayerRouted(long stepNumber, IReadOnlyList<RowOrigin> rows, ExpertRouting routing)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(routing);
        if (rows.Count != routing.Rows)
        {
            throw new ArgumentException($"{rows.Count} row origins for {routing.Rows} routed rows", nameof(rows));
        }

        var k = routing.TopK;
        var ids = routing.ExpertIds;
        foreach (var id in ids)
        {
            // Validated before taking the lock so a bad trace leaves the statistics untouched.
            if (id < 0 || id >= _numExperts)
            {
                throw new ArgumentException($"expert id {id} at layer {routing.Layer} is outside [0, {_numExperts})", nameof(routing));
            }
        }

        lock (_gate)
        {
            _calls++;
            var layer = GetOrAddLayer(routing.Layer, k);
            LabelCounts? lastLabelCounts = null;
            long lastSequence = 0;

            for (var r = 0; r < rows.Count; r++)
            {
                var origin = rows[r];
                var experts = new int[k];
                for (var j = 0; j < k; j++)
                {
                    experts[j] = (int)ids[(r * k) + j];
                    layer.Counts[experts[j]]++;
                }

                layer.Tokens++;

                // Prefill rows of one sequence are contiguous: skip the label lookups between them.
                if (lastLabelCounts is null || origin.SequenceId != lastSequence)
                {
                    var label = _labels.GetValueOrDefault(origin.SequenceId) ?? Unlabelled;
                    if (!layer.ByLabel.TryGetValue(label, out lastLabelCounts))
                    {
                        lastLabelCounts = new LabelCounts(_numExperts);
                        layer.ByLabel.Add(label, lastLabelCounts);
                    }

                    lastSequence = origin.SequenceId;
                }

                lastLabelCounts.Tokens++;
                foreach (var e in experts)
                {
                    lastLabelCounts.Counts[e]++;
                }

                AddToChain(origin, routing.Layer, experts);
            }

            SweepStaleChains();
        }
    }

    /// <summary>A consistent copy of everything aggregated so far.</summary>
    public RoutingStatistics Snapshot()
    {
        lock (_gate)
        {
            var sparse = _layers.Keys.ToArray();
            var layers = _layers.Select(kv => BuildLayerLoad(kv.Key, kv.Value)).ToArray();

            var labels = _layers.Values.SelectMany(l => l.ByLabel.Keys).Distinct().Order(StringComparer.Ordinal);
            var domains = labels.Select(label => new DomainUsage(
                label,
                _layers.Select(kv =>
                {
                    var counts = kv.Value.ByLabel.GetValueOrDefault(label);
                    var tokens = counts?.Tokens ?? 0;
                    var copy = counts?.Counts.ToArray() ?? new long[_numExperts];
                    return new DomainLayerUsage(kv.Key, tokens, copy, Fractions(copy, tokens * kv.Value.TopK));
                }).ToArray())).ToArray();

            var pairs = new List<LayerPairCoactivation>();
            for (var i = 0; i + 1 < sparse.Length; i++)
            {
                var state = _pairs.GetValueOrDefault((sparse[i], sparse[i + 1]));
                pairs.Add(BuildPair(sparse[i], sparse[i + 1], state, _layers[sparse[i + 1]].TopK));
            }

            var topK = _layers.Count == 0 ? 0 : _layers.Values.Max(l => l.TopK);
            return new RoutingStatistics(sparse.Length, _numExperts, topK, sparse, layers, domains, pairs);
        }
    }

    private LayerState GetOrAddLayer(int layerIndex, int topK)
    {
        if (_layers.TryGetValue(layerIndex, out var layer))
        {
            if (layer.TopK != topK)
            {
                throw new ArgumentException($"layer {layerIndex} was traced with top-{layer.TopK} and now top-{topK}", nameof(topK));
            }

            return layer;
        }

        layer = new LayerState(topK, _numExperts);
        _layers.Add(layerIndex, layer);
        _layerSetChangedAtCall = _calls;
        return layer;
    }

    private void AddToChain(RowOrigin origin, int layer, int[] experts)
    {
        if (!_pending.TryGetValue(origin, out var chain))
        {
            if (_pending.Count >= _maxPendingTokens)
            {
                _pending.Clear();
            }

            chain = new TokenChain();
            _pending.Add(origin, chain);
        }

        var current = new ChainEntry(layer, experts);
        var found = chain.Entries.BinarySearch(current, ChainEntry.ByLayer);
        if (found >= 0)
        {
            // The same token routed at the same layer again is a recomputation (e.g. after
            // preemption): start a fresh chain, the old one's pairs were real observations.
            chain = new TokenChain();
            _pending[origin] = chain;
        }

        var entries = chain.Entries;
        var index = found >= 0 ? 0 : ~found;
        ChainEntry? below = index > 0 ? entries[index - 1] : null;
        ChainEntry? above = index < entries.Count ? entries[index] : null;
        if (below is not null && above is not null)
        {
            AddPair(below, above, -1);
        }

        if (below is not null)
        {
            AddPair(below, current, +1);
        }

        if (above is not null)
        {
            AddPair(current, above, +1);
        }

        entries.Insert(index, current);
        chain.LastTouchedCall = _calls;

        if (IsComplete(entries.Count))
        {
            _pending.Remove(origin);
        }
    }

    private void AddPair(ChainEntry from, ChainEntry to, int sign)
    {
        if (!_pairs.TryGetValue((from.Layer, to.Layer), out var pair))
        {
            pair = new PairState(_numExperts);
            _pairs.Add((from.Layer, to.Layer), pair);
        }

        pair.Tokens += sign;
        foreach (var i in from.Experts)
        {
            var row = i * _numExperts;
            foreach (var j in to.Experts)
            {
                pair.Counts[row + j] += sign;
            }
        }
    }

    private bool IsComplete(int layersSeen)
    {
        if (_sparseLayerCount is { } known)
        {
            return layersSeen >= known;
        }

        // Settled: no new layer for two rounds of the known layers, i.e. well past the first step.
        return layersSeen >= _layers.Count && _calls - _layerSetChangedAtCall > 2L * _layers.Count;
    }

    private void SweepStaleChains()
    {
        // Generational ageing: a sweep drops the chains nobody touched since the previous sweep,
        // so the O(pending) scan runs once per interval rather than on every call.
        var interval = _staleAfterCalls ?? Math.Max(64, 4L * _layers.Count);
        if (_calls - _lastSweepCall < interval)
        {
            return;
        }

        var previousSweep = _lastSweepCall;
        _lastSweepCall = _calls;
        List<RowOrigin>? stale = null;
        foreach (var (origin, chain) in _pending)
        {
            if (chain.LastTouchedCall <= previousSweep)
            {
                (stale ??= []).Add(origin);
            }
        }

        if (stale is not null)
        {
            foreach (var origin in stale)
            {
                _pending.Remove(origin);
            }
        }
    }

    private static LayerLoad BuildLayerLoad(int layerIndex, LayerState state)
    {
        var counts = state.Counts.ToArray();
        var assignments = state.Tokens * state.TopK;
        var fractions = Fractions(counts, assignments);
        return new LayerLoad(layerIndex, state.TopK, state.Tokens, counts, fractions, LoadBalance.FromCounts(counts));
    }

    private LayerPairCoactivation BuildPair(int from, int to, PairState? state, int toTopK)
    {
        var e = _numExperts;
        var counts = new long[e][];
        var conditional = new double[e][];
        for (var i = 0; i < e; i++)
        {
            counts[i] = new long[e];
            if (state is not null)
            {
                Array.Copy(state.Counts, i * e, counts[i], 0, e);
            }

            conditional[i] = Fractions(counts[i], counts[i].Sum());
        }

        return new LayerPairCoactivation(from, to, state?.Tokens ?? 0, counts, conditional, AffinityConcentration.From(counts, conditional, toTopK));
    }

    internal static double[] Fractions(long[] counts, long total)
    {
        var fractions = new double[counts.Length];
        if (total > 0)
        {
            for (var i = 0; i < counts.Length; i++)
            {
                fractions[i] = (double)counts[i] / total;
            }
        }

        return fractions;
    }

    private sealed class LayerState(int topK, int numExperts)
    {
        public int TopK { get; } = topK;

        public long Tokens { get; set; }

        public long[] Counts { get; } = new long[numExperts];

        public Dictionary<string, LabelCounts> ByLabel { get; } = new(StringComparer.Ordinal);
    }

    private sealed class LabelCounts(int numExperts)
    {
        public long Tokens { get; set; }

        public long[] Counts { get; } = new long[numExperts];
    }

    private sealed class PairState(int numExperts)
    {
        public long Tokens { get; set; }

        /// <summary>Row-major [from expert, to expert].</summary>
        public long[] Counts { get; } = new long[numExperts * numExperts];
    }

    private sealed class TokenChain
    {
        public long LastTouchedCall { get; set; }

        /// <summary>Layers this token was seen at, sorted by layer.</summary>
        public List<ChainEntry> Entries { get; } = new(4);
    }

    private sealed record ChainEntry(int Layer, int[] Experts)
    {
        public static IComparer<ChainEntry> ByLayer { get; } = Comparer<ChainEntry>.Create((a, b) => a.Layer.CompareTo(b.Layer));
    }
}

/// <summary>Aggregated routing statistics of a traced run, serialisable as camelCase JSON.</summary>
/// <param name="NumLayers">Number of sparse (routed) layers seen in the trace; dense layers never appear.</param>
/// <param name="NumExperts">Routed experts per layer.</param>
/// <param name="TopK">Experts chosen per token (the largest over layers, should they differ).</param>
/// <param name="SparseLayers">Model indices of the sparse layers, ascending.</param>
/// <param name="Layers">Expert load per sparse layer, in <paramref name="SparseLayers"/> order.</param>
/// <param name="Domains">Expert usage per label (domain), ordinal order, with "unlabelled" among them if any row was.</param>
/// <param name="LayerPairs">Co-activation for each pair of consecutive sparse layers.</param>
public sealed record RoutingStatistics(
    int NumLayers,
    int NumExperts,
    int TopK,
    IReadOnlyList<int> SparseLayers,
    IReadOnlyList<LayerLoad> Layers,
    IReadOnlyList<DomainUsage> Domains,
    IReadOnlyList<LayerPairCoactivation> LayerPairs)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static RoutingStatistics FromJson(string json) =>
        JsonSerializer.Deserialize<RoutingStatistics>(json, Options) ?? throw new JsonException("routing statistics JSON is null");
}

/// <summary>Token-assignment counts of one sparse layer's experts.</summary>
/// <param name="Layer">Model index of the layer.</param>
/// <param name="TopK">Experts chosen per token at this layer.</param>
/// <param name="Tokens">Tokens routed through the layer; counts sum to Tokens × TopK.</param>
/// <param name="Counts">Token assignments per expert.</param>
/// <param name="Fractions">Counts over Tokens × TopK: sums to 1, uniform load is 1 / numExperts each.</param>
/// <param name="Balance">Summary of how even <paramref name="Counts"/> is.</param>
public sealed record LayerLoad(int Layer, int TopK, long Tokens, IReadOnlyList<long> Counts, IReadOnlyList<double> Fractions, LoadBalance Balance);

/// <summary>How evenly a layer's tokens spread over its experts.</summary>
/// <param name="MaxOverMean">Busiest expert's load over the mean load: 1 is perfect balance, the straggler factor of expert parallelism.</param>
/// <param name="CoefficientOfVariation">Population standard deviation of the loads over their mean.</param>
/// <param name="NormalisedEntropy">Entropy of the load fractions over ln(numExperts): 1 is uniform, 0 is one expert taking everything.</param>
public sealed record LoadBalance(double MaxOverMean, double CoefficientOfVariation, double NormalisedEntropy)
{
    /// <summary>All zeros when there is no load to judge.</summary>
    public static LoadBalance FromCounts(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var total = counts.Sum();
        if (total == 0)
        {
            return new LoadBalance(0, 0, 0);
        }

        var n = counts.Count;
        var mean = (double)total / n;
        var variance = counts.Sum(c => (c - mean) * (c - mean)) / n;
        return new LoadBalance(counts.Max() / mean, Math.Sqrt(variance) / mean, EntropyOverMax(counts, total));
    }

    internal static double EntropyOverMax(IReadOnlyList<long> counts, long total)
    {
        if (counts.Count <= 1)
        {
            return 1;
        }

        var h = 0.0;
        foreach (var c in counts)
        {
            if (c > 0)
            {
                var p = (double)c / total;
                h -= p * Math.Log(p);
            }
        }

        return h / Math.Log(counts.Count);
    }
}

/// <summary>Expert usage of one domain label across the sparse layers.</summary>
public sealed record DomainUsage(string Label, IReadOnlyList<DomainLayerUsage> Layers);

/// <summary>Expert usage of one domain at one sparse layer; fractions sum to 1 when the domain has tokens there.</summary>
public sealed record DomainLayerUsage(int Layer, long Tokens, IReadOnlyList<long> Counts, IReadOnlyList<double> Fractions);

/// <summary>Which experts a token uses at the next sparse layer given the one it used at this one.</summary>
/// <param name="FromLayer">Sparse layer l.</param>
/// <param name="ToLayer">The next sparse layer after l (l + 1 unless dense layers sit between).</param>
/// <param name="Tokens">Tokens seen at both layers.</param>
/// <param name="Counts">[i][j]: over tokens, the number of (expert i at FromLayer, expert j at ToLayer) pairs among all top-k × top-k combinations.</param>
/// <param name="Conditional">[i][j] = P(expert j at ToLayer | expert i at FromLayer): Counts rows normalised to 1, all zero where expert i has no data.</param>
/// <param name="Concentration">Summary of how peaked <paramref name="Conditional"/> is.</param>
public sealed record LayerPairCoactivation(
    int FromLayer,
    int ToLayer,
    long Tokens,
    IReadOnlyList<IReadOnlyList<long>> Counts,
    IReadOnlyList<IReadOnlyList<double>> Conditional,
    AffinityConcentration Concentration);

/// <summary>How predictable the next layer's expert is from this layer's: what co-locating expert pairs could save.</summary>
/// <param name="MeanMaxConditional">Mean over experts i with data of max_j P(j | i).</param>
/// <param name="WeightedMeanMaxConditional">The same, weighted by how often expert i was chosen.</param>
/// <param name="UniformBaseline">1 / numExperts: what <paramref name="MeanMaxConditional"/> would be with no affinity.</param>
/// <param name="Ceiling">1 / topK of the next layer: the most max_j P(j | i) can be, since every token spreads each row's mass over topK experts.</param>
/// <param name="NormalisedConcentration">MeanMaxConditional rescaled so the baseline is 0 and the ceiling 1.</param>
/// <param name="MeanNormalisedRowEntropy">Mean over experts i with data of the entropy of P(· | i) over ln(numExperts): 1 is no affinity.</param>
public sealed record AffinityConcentration(
    double MeanMaxConditional,
    double WeightedMeanMaxConditional,
    double UniformBaseline,
    double Ceiling,
    double NormalisedConcentration,
    double MeanNormalisedRowEntropy)
{
    /// <summary>Summarises a counts matrix and its row-normalised conditional.</summary>
    public static AffinityConcentration From(IReadOnlyList<IReadOnlyList<long>> counts, IReadOnlyList<IReadOnlyList<double>> conditional, int topK)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(conditional);
        var e = counts.Count;
        var baseline = e == 0 ? 0 : 1.0 / e;
        var ceiling = topK <= 0 ? 1 : Math.Min(1, 1.0 / topK);
        double maxSum = 0, weightedSum = 0, entropySum = 0;
        long weightTotal = 0;
        var rowsWithData = 0;
        for (var i = 0; i < e; i++)
        {
            var total = counts[i].Sum();
            if (total == 0)
            {
                continue;
            }

            var max = conditional[i].Max();
            rowsWithData++;
            maxSum += max;
            weightedSum += max * total;
            weightTotal += total;
            entropySum += LoadBalance.EntropyOverMax(counts[i], total);
        }

        if (rowsWithData == 0)
        {
            return new AffinityConcentration(0, 0, baseline, ceiling, 0, 0);
        }

        var meanMax = maxSum / rowsWithData;
        var normalised = ceiling > baseline ? (meanMax - baseline) / (ceiling - baseline) : 0;
        return new AffinityConcentration(meanMax, weightedSum / weightTotal, baseline, ceiling, normalised, entropySum / rowsWithData);
    }
}
