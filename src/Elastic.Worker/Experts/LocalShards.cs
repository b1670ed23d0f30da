using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Elastic.Worker.Experts;

/// <summary>
/// The expert shards active in this silo, by shard id. An engine of the same silo computes such a shard's batches on
/// its own thread with the shard's experts instead of sending them through Orleans: a local grain call costs two
/// thread hops (the grain scheduler there, the waiting engine thread back), which at one stream of the default model
/// was a quarter of each token's time. The grain stays the shard's owner: it alone loads, unloads and registers here.
/// </summary>
public sealed class LocalShards
{
    private readonly ConcurrentDictionary<string, ShardExperts> _shards = new(StringComparer.Ordinal);

    /// <summary>Shard ids active here (diagnostics and tests).</summary>
    public IReadOnlyCollection<string> Ids => [.. _shards.Keys];

    internal void Add(ShardExperts shard) => _shards[shard.Shard] = shard;

    /// <summary>Removes <paramref name="shard"/> if it is still the one registered under its id.</summary>
    internal void Remove(ShardExperts shard) => _shards.TryRemove(KeyValuePair.Create(shard.Shard, shard));

    internal bool TryGet(string shard, [NotNullWhen(true)] out ShardExperts? experts) => _shards.TryGetValue(shard, out experts);
}
