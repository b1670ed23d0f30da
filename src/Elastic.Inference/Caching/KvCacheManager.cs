using Elastic.Inference.Configuration;

namespace Elastic.Inference.Caching;

/// <summary>
/// Accounts KV-cache memory against a fixed budget. A sequence reserves the tokens it may ever
/// need (prompt + max new tokens) when it is admitted, so a running sequence never fails for lack
/// of cache; memory itself is allocated lazily as the sequence grows.
/// </summary>
public sealed class KvCacheManager
{
    private readonly Lock _gate = new();
    private long _reservedTokens;
    private long _allocatedBytes;

    public KvCacheManager(ModelConfig config, long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        Config = config;
        BudgetBytes = budgetBytes;
        BytesPerToken = config.KvBytesPerToken;
        CapacityTokens = budgetBytes / BytesPerToken;
    }

    public ModelConfig Config { get; }

    public long BudgetBytes { get; }

    public long BytesPerToken { get; }

    /// <summary>Tokens the budget can hold across all sequences.</summary>
    public long CapacityTokens { get; }

    public long ReservedTokens
    {
        get
        {
            lock (_gate)
            {
                return _reservedTokens;
            }
        }
    }

    /// <summary>Bytes of cache tensors actually allocated now.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Reserved share of the budget, 0..1 (what <c>kv_cache_usage_perc</c> reports).</summary>
    public double Usage => CapacityTokens == 0 ? 0 : (double)ReservedTokens / CapacityTokens;

    /// <summary>
    /// Creates a cache reserving <paramref name="tokens"/> of the budget (raised later with
    /// <see cref="SequenceKvCache.TryReserve"/>), or null if the budget cannot take them now.
    /// </summary>
    public SequenceKvCache? TryAllocate(int tokens) => TryReserveMore(tokens) ? new SequenceKvCache(this, tokens) : null;

    /// <summary>Adds <paramref name="moreTokens"/> to the reserved total if the budget can take them now; false otherwise.</summary>
    internal bool TryReserveMore(int moreTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(moreTokens);
        lock (_gate)
        {
            if (_reservedTokens + moreTokens > CapacityTokens)
            {
                return false;
            }

            _reservedTokens += moreTokens;
            return true;
        }
    }

    /// <summary>Whether a sequence of this size could ever fit, even with the cache empty.</summary>
    public bool CanEverFit(int maxTokens) => maxTokens <= CapacityTokens;

    internal void Release(int reservedTokens, long allocatedBytes)
    {
        lock (_gate)
        {
            _reservedTokens -= reservedTokens;
        }

        Interlocked.Add(ref _allocatedBytes, -allocatedBytes);
    }

    internal void OnAllocated(long bytes) => Interlocked.Add(ref _allocatedBytes, bytes);
}
