using Orleans.Concurrency;

namespace Elastic.Abstractions.Grains;

/// <summary>
/// The versioned routing table of one model: (layer, expert) → shard replicas. Key: the model name.
/// Publishing is optimistic: a table must carry the current version + 1, so two planners never
/// silently overwrite each other.
/// </summary>
public interface IPlacementDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The current table; version 0 with no entries until something is published.</summary>
    [ReadOnly]
    Task<PlacementTable> GetAsync();

    /// <summary>The current table when its version is above <paramref name="knownVersion"/>, else null (a cheap per-step check).</summary>
    [ReadOnly]
    Task<PlacementTable?> GetIfNewerAsync(long knownVersion);

    /// <summary>
    /// Makes <paramref name="table"/> current. Throws <see cref="PlacementVersionConflictException"/>
    /// unless its version is exactly the current version + 1, and <see cref="ArgumentException"/> for a
    /// malformed table or one for another model.
    /// </summary>
    Task<PlacementTable> PublishAsync(PlacementTable table);

    /// <summary>
    /// Publishes, as current version + 1, every (layer, expert) pair of <paramref name="layers"/> spread
    /// evenly over <paramref name="shards"/> with <paramref name="replicas"/> replicas each.
    /// Loading the weights onto the shards is the caller's job (before it routes traffic).
    /// </summary>
    Task<PlacementTable> SpreadEvenlyAsync(int[] layers, int expertsPerLayer, string[] shards, int replicas);
}
