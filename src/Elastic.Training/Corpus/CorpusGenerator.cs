namespace Elastic.Training.Corpus;

/// <summary>Deterministic stream of mixed-domain corpus samples: the same seed and split always give the same text.</summary>
public sealed class CorpusGenerator
{
    // Percent weights. Arithmetic is largest because exact 2-digit addition needs many examples to be
    // learnt, and its lines are short, so it costs only a modest share of the bytes.
    private static readonly (CorpusDomain Domain, int Percent)[] Mix =
    [
        (CorpusDomain.Arithmetic, 30),
        (CorpusDomain.English, 20),
        (CorpusDomain.Json, 20),
        (CorpusDomain.Code, 15),
        (CorpusDomain.Conlang, 15),
    ];

    private readonly CorpusRandom _rng;
    private readonly ArithmeticDomain _arithmetic;
    private readonly EnglishDomain _english;
    private readonly JsonDomain _json;
    private readonly CodeDomain _code;
    private readonly ConlangDomain _conlang;

    /// <summary>A training-split generator.</summary>
    public CorpusGenerator(int seed)
        : this(seed, CorpusSplit.Train)
    {
    }

    /// <summary>
    /// A generator for <paramref name="split"/>. Train emits only 2-digit additions outside the held-out set;
    /// HeldOut emits only those inside it. Use different seeds for train and evaluation text as well.
    /// </summary>
    public CorpusGenerator(int seed, CorpusSplit split)
    {
        Seed = seed;
        Split = split;

        // The split feeds the seed so that a held-out stream never replays a train stream's other domains.
        _rng = new CorpusRandom(((ulong)(uint)seed << 1) | (split == CorpusSplit.HeldOut ? 1UL : 0UL));
        _arithmetic = new ArithmeticDomain(_rng, split);
        _english = new EnglishDomain(_rng);
        _json = new JsonDomain(_rng);
        _code = new CodeDomain(_rng);
        _conlang = new ConlangDomain(_rng);
    }

    /// <summary>Longest sample any domain produces, in characters.</summary>
    public const int MaxSampleLength = 120;

    /// <summary>The share of samples each domain gets from <see cref="Next()"/>; sums to 1.</summary>
    public static IReadOnlyDictionary<CorpusDomain, double> DomainWeights { get; } =
        Mix.ToDictionary(m => m.Domain, m => m.Percent / 100.0);

    public int Seed { get; }

    public CorpusSplit Split { get; }

    /// <summary>The next sample, its domain drawn by <see cref="DomainWeights"/>.</summary>
    public CorpusSample Next()
    {
        var roll = _rng.Next(100);
        foreach (var (domain, percent) in Mix)
        {
            if (roll < percent)
            {
                return Next(domain);
            }

            roll -= percent;
        }

        throw new InvalidOperationException("domain weights must sum to 100");
    }

    /// <summary>The next sample from one domain; advances the same stream as <see cref="Next()"/>.</summary>
    public CorpusSample Next(CorpusDomain domain)
    {
        var text = domain switch
        {
            CorpusDomain.Arithmetic => _arithmetic.Next(),
            CorpusDomain.English => _english.Next(),
            CorpusDomain.Json => _json.Next(),
            CorpusDomain.Code => _code.Next(),
            CorpusDomain.Conlang => _conlang.Next(),
            _ => throw new ArgumentOutOfRangeException(nameof(domain), domain, "unknown corpus domain"),
        };

        return new CorpusSample(domain, text);
    }

    /// <summary>The next <paramref name="count"/> mixed samples, generated lazily.</summary>
    public IEnumerable<CorpusSample> Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return TakeIterator(count);
    }

    private IEnumerable<CorpusSample> TakeIterator(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next();
        }
    }
}
