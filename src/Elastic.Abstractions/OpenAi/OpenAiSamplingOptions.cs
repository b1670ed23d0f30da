namespace Elastic.Abstractions.OpenAi;

/// <summary>The sampling and stopping parameters shared by completions and chat completions, validated but not defaulted.</summary>
public sealed record OpenAiSamplingOptions
{
    /// <summary>0..2; null means OpenAI's default of 1.</summary>
    public double? Temperature { get; init; }

    /// <summary>(0, 1]; null means 1.</summary>
    public double? TopP { get; init; }

    /// <summary>vLLM's extension: -1 or 0 disables, otherwise the k most likely tokens.</summary>
    public int? TopK { get; init; }

    public long? Seed { get; init; }

    /// <summary>Up to four strings that end a choice; the text is cut before them.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>vLLM's extension: token ids that end a choice.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>vLLM's extension: keep generating past end-of-sequence tokens.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Choices per prompt, 1..16.</summary>
    public int N { get; init; } = 1;

    public double PresencePenalty { get; init; }

    public double FrequencyPenalty { get; init; }
}
