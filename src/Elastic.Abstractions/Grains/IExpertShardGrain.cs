using Orleans.Concurrency;

namespace Elastic.Abstractions.Grains;

/// <summary>
/// Holds the weights of a set of routed experts and computes them. Compute is a pure function of
/// (weights, rows), so a caller may retry a failed batch on any other replica of the same experts.
/// Placed only on silos with the <see cref="WorkerRole.Expert"/> role. Key: the shard id.
/// </summary>
public interface IExpertShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Loads the given experts from a Hugging Face checkpoint folder readable by the shard's silo.
    /// Experts already held are kept; a shard serves one checkpoint, so a different folder is refused.
    /// </summary>
    /// <param name="checkpointDirectory">Checkpoint folder as seen from the shard's silo.</param>
    /// <param name="experts">(layer, expert) pairs to hold.</param>
    Task<ExpertShardStatus> LoadAsync(string checkpointDirectory, ExpertId[] experts);

    /// <summary>Releases experts; batches already running keep their weights until they finish.</summary>
    Task<ExpertShardStatus> UnloadAsync(ExpertId[] experts);

    /// <summary>What the shard holds and has computed.</summary>
    [ReadOnly]
    Task<ExpertShardStatus> GetStatusAsync();

    /// <summary>
    /// Computes one layer's batch: for each row, the weighted sum of this shard's experts the row was
    /// routed to. Throws <see cref="ExpertNotLoadedException"/> when an assigned expert is not held.
    /// Batches of different callers run concurrently.
    /// </summary>
    [AlwaysInterleave]
    Task<ExpertBatchResult> ComputeAsync(ExpertBatch batch);
}
