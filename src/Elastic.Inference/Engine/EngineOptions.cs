namespace Elastic.Inference.Engine;

/// <summary>Limits of one engine's continuous batch. Validated at start-up.</summary>
public sealed class EngineOptions
{
    /// <summary>KV-cache budget in bytes (default 2 GiB).</summary>
    public long KvCacheBytes { get; set; } = 2L << 30;

    /// <summary>Most tokens (prefill chunks + decode tokens) in one forward step (default 1024).</summary>
    public int MaxBatchedTokens { get; set; } = 1024;

    /// <summary>Most sequences decoding together (default 64).</summary>
    public int MaxRunningSequences { get; set; } = 64;

    /// <summary>Most sequences waiting for admission beyond the running slots still free; past it requests are refused as overload (default 256).</summary>
    public int MaxWaitingSequences { get; set; } = 256;

    /// <summary>Context limit for prompt + output tokens; 0 means the model's max_position_embeddings.</summary>
    public int MaxModelLength { get; set; }

    /// <summary>End-of-sequence token ids; empty means the model's (config.json / generation_config.json).</summary>
    public IReadOnlyList<int> EosTokenIds { get; set; } = [];

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(KvCacheBytes > 0, nameof(KvCacheBytes), $"must be positive, got {KvCacheBytes}");
        Check(MaxBatchedTokens > 0, nameof(MaxBatchedTokens), $"must be positive, got {MaxBatchedTokens}");
        Check(MaxRunningSequences > 0, nameof(MaxRunningSequences), $"must be positive, got {MaxRunningSequences}");
        Check(MaxWaitingSequences >= 0, nameof(MaxWaitingSequences), $"must not be negative, got {MaxWaitingSequences}");
        Check(MaxModelLength >= 0, nameof(MaxModelLength), $"must not be negative, got {MaxModelLength}");
    }

    private static void Check(bool ok, string setting, string problem)
    {
        if (!ok)
        {
            throw new ArgumentException($"Engine:{setting} {problem}", setting);
        }
    }
}
