namespace Elastic.Inference.Sampling;

/// <summary>
/// Picks tokens for one sequence from its logits: penalties, temperature, top-k, top-p and a seeded
/// random draw. Each sequence has its own generator, so a seeded request repeats exactly whatever
/// else shares its batch.
/// </summary>
public sealed class Sampler
{
    // Top-k up to this many candidates is selected from the scores directly (by insertion: cheap for small k); a
    // larger k sorts the probabilities like top-p does.
    private const int SelectedTopK = 256;

    private readonly SamplingParams _params;
    private readonly Random _random;
    private readonly Dictionary<int, int> _generatedCounts = [];
    private float[] _work = [];
    private int[] _order = [];
    private float[] _keys = [];
    private int[] _topIds = [];
    private float[] _topValues = [];

    public Sampler(SamplingParams parameters)
    {
        _params = parameters;
        _random = parameters.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random(Random.Shared.Next());
    }

    /// <summary>Chooses the next token from raw logits (not modified) and records it for the penalties.</summary>
    public SampledToken Sample(ReadOnlySpan<float> logits)
    {
        var scores = logits;
        if (_params.PresencePenalty != 0 || _params.FrequencyPenalty != 0)
        {
            var work = Work(logits.Length);
            logits.CopyTo(work);
            ApplyPenalties(work);
            scores = work;
        }

        var token = _params.IsGreedy ? SamplingKernels.ArgMax(scores) : Draw(scores);
        _generatedCounts[token] = _generatedCounts.GetValueOrDefault(token) + 1;

        if (_params.Logprobs is not { } top)
        {
            return new SampledToken(token, float.NaN, []);
        }

        // Log-probabilities are reported under the model's raw distribution, as vLLM does by default.
        var logZ = LogSumExp(logits);
        return new SampledToken(token, logits[token] - logZ, TopN(logits, top, logZ));
    }

    /// <summary>
    /// Leaves this sampler exactly as a <see cref="Sample"/> that chose <paramref name="tokenId"/> would have: the token
    /// counts for the penalties, and the random generator advanced by the one draw every non-greedy sample makes.
    /// A decode engine uses it for the first token a prefill elsewhere sampled with the same parameters and seed.
    /// </summary>
    public void Replay(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        if (!_params.IsGreedy)
        {
            // Every non-greedy draw takes exactly one NextDouble.
            _ = _random.NextDouble();
        }

        _generatedCounts[tokenId] = _generatedCounts.GetValueOrDefault(tokenId) + 1;
    }

    private void ApplyPenalties(Span<float> logits)
    {
        if (_params.PresencePenalty == 0 && _params.FrequencyPenalty == 0)
        {
            return;
        }

        foreach (var (token, count) in _generatedCounts)
        {
            logits[token] -= (_params.FrequencyPenalty * count) + _params.PresencePenalty;
        }
    }

    // One NextDouble per draw on every path (Replay relies on it).
    private int Draw(ReadOnlySpan<float> scores)
    {
        var inverseTemperature = 1f / _params.Temperature;
        var vocab = scores.Length;
        var k = _params.TopK > 0 && _params.TopK < vocab ? _params.TopK : vocab;
        if (k <= SelectedTopK && k < vocab)
        {
            return DrawFromTopK(scores, k, inverseTemperature);
        }

        // Unnormalised probabilities of the whole vocabulary; top-p keeps a subset, then we draw by mass.
        var probs = Work(vocab);
        var total = SamplingKernels.Exp(scores, probs, SamplingKernels.Max(scores), inverseTemperature);
        if (k == vocab && _params.TopP >= 1f)
        {
            return SamplingKernels.DrawByMass(probs, total, _random.NextDouble());
        }

        int kept;
        if (k == vocab)
        {
            // Top-p alone: the nucleus among the tokens above the probability floor, selected, not sorted.
            var candidates = Candidates(probs, total);
            kept = NucleusSelection.Select(probs, _order, candidates, _params.TopP * total);
        }
        else
        {
            // A top-k too large to select: sorted, then the nucleus over the renormalised top-k mass, as vLLM does.
            var count = SortedTopK(probs, k);
            kept = count;
            if (_params.TopP < 1f)
            {
                double mass = 0;
                for (var i = 0; i < count; i++)
                {
                    mass += probs[_order[i]];
                }

                kept = NucleusSize(probs, _order, count, _params.TopP * mass);
            }
        }

        return _order[DrawAmong(probs, _order, kept, _random.NextDouble())];
    }

    /// <summary>
    /// Top-k by selection over the scores (the k most likely tokens are the k largest scores), so only k
    /// probabilities are computed and nothing is sorted; top-p then applies over their renormalised mass.
    /// </summary>
    private int DrawFromTopK(ReadOnlySpan<float> scores, int k, float inverseTemperature)
    {
        if (_topIds.Length < k)
        {
            _topIds = new int[k];
            _topValues = new float[k];
        }

        var ids = _topIds.AsSpan(0, k);
        var probs = _topValues.AsSpan(0, k);
        var count = TopKSelection.Select(scores, ids, probs);
        var uniform = _random.NextDouble();
        var max = probs[0];
        if (float.IsNegativeInfinity(max))
        {
            return ids[0];
        }

        double mass = 0;
        for (var i = 0; i < count; i++)
        {
            probs[i] = MathF.Exp((probs[i] - max) * inverseTemperature);
            mass += probs[i];
        }

        var kept = _params.TopP < 1f ? NucleusSize(probs, [], count, _params.TopP * mass) : count;
        return ids[DrawAmong(probs, [], kept, uniform)];
    }

    /// <summary>
    /// How many of the first <paramref name="count"/> candidates, most likely first (probs[order[i]], or probs[i] with
    /// no order), reach <paramref name="target"/> mass.
    /// </summary>
    private static int NucleusSize(ReadOnlySpan<float> probs, ReadOnlySpan<int> order, int count, double target)
    {
        double cumulative = 0;
        for (var i = 0; i < count; i++)
        {
            cumulative += Candidate(probs, order, i);
            if (cumulative >= target)
            {
                return i + 1;
            }
        }

        return count;
    }

    /// <summary>
    /// Where among the first <paramref name="kept"/> candidates (as in <see cref="NucleusSize"/>) a draw of
    /// <paramref name="uniform"/> times their mass lands: the candidate whose running sum first passes it; the last one
    /// when rounding leaves the draw past the end.
    /// </summary>
    private static int DrawAmong(ReadOnlySpan<float> probs, ReadOnlySpan<int> order, int kept, double uniform)
    {
        double mass = 0;
        for (var i = 0; i < kept; i++)
        {
            mass += Candidate(probs, order, i);
        }

        var r = uniform * mass;
        for (var i = 0; i < kept; i++)
        {
            r -= Candidate(probs, order, i);
            if (r < 0)
            {
                return i;
            }
        }

        return kept - 1;
    }

    private static float Candidate(ReadOnlySpan<float> probs, ReadOnlySpan<int> order, int i) => order.IsEmpty ? probs[i] : probs[order[i]];

    private float[] Work(int length)
    {
        if (_work.Length != length)
        {
            _work = new float[length];
        }

        return _work;
    }

    /// <summary>
    /// Puts the tokens at or above a probability floor at the front of _order and returns how many: the tokens below
    /// it together hold at most vocab · floor = (1 − top_p) / 2 of the mass, so they can never be in the nucleus.
    /// </summary>
    private int Candidates(ReadOnlySpan<float> probs, double total)
    {
        var order = Order(probs.Length);
        var floor = (float)((1 - _params.TopP) * total / probs.Length * 0.5);
        var n = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] >= floor)
            {
                order[n++] = i;
            }
        }

        return n;
    }

    /// <summary>Puts the <paramref name="k"/> most likely tokens in descending order at the front of _order; returns k.</summary>
    private int SortedTopK(ReadOnlySpan<float> probs, int k)
    {
        var order = Order(probs.Length);
        if (_keys.Length < probs.Length)
        {
            _keys = new float[probs.Length];
        }

        for (var i = 0; i < probs.Length; i++)
        {
            order[i] = i;
            _keys[i] = -probs[i];
        }

        Array.Sort(_keys, order, 0, probs.Length);
        return k;
    }

    private int[] Order(int length)
    {
        if (_order.Length != length)
        {
            _order = new int[length];
        }

        return _order;
    }

    /// <summary>log Σ exp(logits), NaNs ignored.</summary>
    public static float LogSumExp(ReadOnlySpan<float> logits) => SamplingKernels.LogSumExp(logits);

    private static TokenLogprob[] TopN(ReadOnlySpan<float> logits, int n, float logZ)
    {
        if (n == 0)
        {
            return [];
        }

        var ids = new int[n];
        var values = new float[n];
        var size = TopKSelection.Select(logits, ids, values);
        var result = new TokenLogprob[size];
        for (var i = 0; i < size; i++)
        {
            result[i] = new TokenLogprob(ids[i], values[i] - logZ);
        }

        return result;
    }
}
