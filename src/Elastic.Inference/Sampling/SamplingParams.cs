namespace Elastic.Inference.Sampling;

/// <summary>How the next token is chosen and when a sequence stops, with OpenAI's parameter semantics.</summary>
public sealed record SamplingParams
{
    /// <summary>Most alternatives a caller may ask for per token (OpenAI's limit).</summary>
    public const int MaxLogprobs = 20;

    /// <summary>0 means greedy; otherwise logits are divided by it before sampling.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches this mass.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens; 0 or -1 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Seed of this sequence's random generator; the same seed repeats the same output.</summary>
    public long? Seed { get; init; }

    public int MaxTokens { get; init; } = 16;

    /// <summary>Token ids that end the sequence (in addition to the model's end-of-sequence ids).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Strings that end the sequence; the output is cut before them.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Keep generating past the model's end-of-sequence tokens.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Subtracted once from the logit of every token already generated (-2..2).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted from a token's logit per time it was already generated (-2..2).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>null: no log-probabilities; N: the chosen token's plus the N most likely alternatives.</summary>
    public int? Logprobs { get; init; }

    public bool IsGreedy => Temperature < 1e-5f || TopK == 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range parameter.</summary>
    public void Validate()
    {
        Check(float.IsFinite(Temperature) && Temperature is >= 0 and <= 2, "temperature", $"must be between 0 and 2, got {Temperature}");
        Check(float.IsFinite(TopP) && TopP is > 0 and <= 1, "top_p", $"must be in (0, 1], got {TopP}");
        Check(TopK >= -1, "top_k", $"must be -1, 0 (disabled) or positive, got {TopK}");
        Check(MaxTokens >= 1, "max_tokens", $"must be at least 1, got {MaxTokens}");
        Check(PresencePenalty is >= -2 and <= 2, "presence_penalty", $"must be between -2 and 2, got {PresencePenalty}");
        Check(FrequencyPenalty is >= -2 and <= 2, "frequency_penalty", $"must be between -2 and 2, got {FrequencyPenalty}");
        Check(Logprobs is null or (>= 0 and <= MaxLogprobs), "logprobs", $"must be between 0 and {MaxLogprobs}, got {Logprobs}");
        Check(Stop.All(s => !string.IsNullOrEmpty(s)), "stop", "stop strings must not be empty");
        Check(StopTokenIds.All(t => t >= 0), "stop_token_ids", "token ids must not be negative");
    }

    private static void Check(bool ok, string parameter, string problem)
    {
        if (!ok)
        {
            throw new ArgumentException($"{parameter} {problem}", parameter);
        }
    }
}
