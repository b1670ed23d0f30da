namespace Elastic.Inference.Sampling;

/// <summary>
/// Picks tokens for one sequence from its logits: penalties, temperature, top-k, top-p and a seeded
/// random draw. Each sequence has its own generator, so a seeded request repeats exactly whatever
/// else shares its batch.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingParams _params;
    private readonly Random _random;
    private readonly Dictionary<int, int> _generatedCounts = [];
    private float[] _work = [];
    private int[] _order = [];
    private float[] _keys = [];

    public Sampler(SamplingParams parameters)
    {
        _params = parameters;
        _random = parameters.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random(Random.Shared.Next());
    }

    /// <summary>Chooses the next token from raw logits (not modified) and records it for the penalties.</summary>
    public SampledToken Sample(ReadOnlySpan<float> logits)
    {
        var vocab = logits.Length;
        if (_work.Length != vocab)
        {
            _work = new float[vocab];
        }

        var work = _work.AsSpan();
        logits.CopyTo(work);
        ApplyPenalties(work);
        var token = _params.IsGreedy ? ArgMax(work) : Draw(work);
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
            // Draw and DrawFrom each take exactly one NextDouble per sample.
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

    private int Draw(Span<float> logits)
    {
        var inverseTemperature = 1f / _params.Temperature;
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = MathF.Max(max, l);
        }

        // Unnormalised probabilities; every filter below keeps a subset, then we draw by mass.
        double total = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var p = MathF.Exp((logits[i] - max) * inverseTemperature);
            logits[i] = p;
            total += p;
        }

        var k = _params.TopK > 0 && _params.TopK < logits.Length ? _params.TopK : logits.Length;
        if (k == logits.Length && _params.TopP >= 1f)
        {
            return DrawFrom(logits, total);
        }

        var count = SortedCandidates(logits, k, total);
        var kept = count;
        if (_params.TopP < 1f)
        {
            // After top-k the nucleus is taken over the renormalised top-k mass, as vLLM does.
            double mass = total;
            if (k < logits.Length)
            {
                mass = 0;
                for (var i = 0; i < count; i++)
                {
                    mass += logits[_order[i]];
                }
            }

            var target = _params.TopP * mass;
            double cumulative = 0;
            for (var i = 0; i < count; i++)
            {
                cumulative += logits[_order[i]];
                if (cumulative >= target)
                {
                    kept = i + 1;
                    break;
                }
            }
        }

        double keptMass = 0;
        for (var i = 0; i < kept; i++)
        {
            keptMass += logits[_order[i]];
        }

        var r = _random.NextDouble() * keptMass;
        for (var i = 0; i < kept; i++)
        {
            r -= logits[_order[i]];
            if (r < 0)
            {
                return _order[i];
            }
        }

        return _order[kept - 1];
    }

    /// <summary>
    /// Puts the <paramref name="k"/> most likely tokens in descending order at the front of _order and
    /// returns how many are there. For top-p without top-k it sorts only the tokens above a probability
    /// floor whose excluded mass provably cannot matter, falling back to a full sort when it could.
    /// </summary>
    private int SortedCandidates(Span<float> probs, int k, double total)
    {
        if (_order.Length != probs.Length)
        {
            _order = new int[probs.Length];
        }

        var floor = 0f;
        if (k == probs.Length)
        {
            // Tokens below the floor together hold at most vocab·floor of the mass; keep that under 1 - top_p.
            floor = (float)((1 - _params.TopP) * total / probs.Length * 0.5);
        }

        var n = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] >= floor)
            {
                _order[n++] = i;
            }
        }

        if (_keys.Length < n)
        {
            _keys = new float[probs.Length];
        }

        for (var i = 0; i < n; i++)
        {
            _keys[i] = -probs[_order[i]];
        }

        Array.Sort(_keys, _order, 0, n);
        return Math.Min(k, n);
    }

    private int DrawFrom(ReadOnlySpan<float> probs, double total)
    {
        var r = _random.NextDouble() * total;
        for (var i = 0; i < probs.Length; i++)
        {
            r -= probs[i];
            if (r < 0)
            {
                return i;
            }
        }

        for (var i = probs.Length - 1; i >= 0; i--)
        {
            if (probs[i] > 0)
            {
                return i;
            }
        }

        return probs.Length - 1;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = MathF.Max(max, l);
        }

        double sum = 0;
        foreach (var l in logits)
        {
            sum += Math.Exp(l - max);
        }

        return max + (float)Math.Log(sum);
    }

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
