namespace Elastic.Training.Training;

/// <summary>Hyper-parameters of a training run; validated before anything is built.</summary>
public sealed record TrainingOptions
{
    public int Seed { get; init; } = 1234;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 2400;

    public int BatchSize { get; init; } = 16;

    public int SequenceLength { get; init; } = 128;

    public double PeakLearningRate { get; init; } = 3e-3;

    /// <summary>Cosine decay ends at PeakLearningRate × this.</summary>
    public double MinLearningRateRatio { get; init; } = 0.05;

    public int WarmupSteps { get; init; } = 100;

    public double WeightDecay { get; init; } = 0.05;

    public double GradientClip { get; init; } = 1.0;

    /// <summary>Weight of the load-balancing loss (Switch Transformer / Mixtral).</summary>
    public double AuxLossCoefficient { get; init; } = 0.02;

    /// <summary>Stop early after this much wall time (the trained state so far is kept and saved).</summary>
    public TimeSpan? TimeBudget { get; init; }

    public int LogEvery { get; init; } = 25;

    /// <summary>Model shape.</summary>
    public int VocabSize { get; init; } = 2048;
    public int HiddenSize { get; init; } = 128;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Experts { get; init; } = 8;
    public int ExpertIntermediateSize { get; init; } = 320;
    public int MaxPositions { get; init; } = 512;

    /// <summary>Training text generated for the tokenizer and the token stream.</summary>
    public long CorpusBytes { get; init; } = 24_000_000;

    public void Validate()
    {
        Check(Steps > 0, nameof(Steps));
        Check(BatchSize > 0, nameof(BatchSize));
        Check(SequenceLength is > 1 && SequenceLength < MaxPositions, nameof(SequenceLength), $"must be between 2 and MaxPositions-1 ({MaxPositions - 1})");
        Check(PeakLearningRate is > 0 and < 1, nameof(PeakLearningRate));
        Check(MinLearningRateRatio is >= 0 and <= 1, nameof(MinLearningRateRatio));
        Check(WarmupSteps >= 0 && WarmupSteps < Steps, nameof(WarmupSteps), "must be below Steps");
        Check(HiddenSize % Heads == 0 && Heads % KvHeads == 0 && (HiddenSize / Heads) % 2 == 0, nameof(Heads), "hidden must split into heads of even size, heads into kv heads");
        Check(Experts >= 2, nameof(Experts), "needs at least 2 experts for top-2 routing");
        Check(VocabSize >= 300, nameof(VocabSize), "must hold 256 bytes, special tokens and merges");
        Check(CorpusBytes > 10_000, nameof(CorpusBytes));
    }

    private static void Check(bool ok, string name, string? why = null)
    {
        if (!ok)
        {
            throw new ArgumentException($"training option {name} is invalid{(why is null ? "" : ": " + why)}", name);
        }
    }
}
