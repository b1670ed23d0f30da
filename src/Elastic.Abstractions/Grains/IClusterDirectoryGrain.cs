namespace Elastic.Abstractions.Grains;

/// <summary>
/// The cluster's workers as the silos see them (active members, their roles and HTTP endpoints). Clients such as the
/// gateway long-poll it instead of reading membership themselves. Any silo answers (a stateless worker per silo); key 0.
/// </summary>
public interface IClusterDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Returns the current workers once their version differs from <paramref name="knownVersion"/>, or after
    /// <paramref name="maxWait"/> with the unchanged snapshot (keep it well under the client's response timeout).
    /// Cancelling <paramref name="cancellationToken"/> ends the wait on the silo too, so a stopping watcher does not
    /// leave a call there that holds the silo's shutdown until the wait runs out.
    /// </summary>
    Task<ClusterWorkers> WatchAsync(long knownVersion, TimeSpan maxWait, CancellationToken cancellationToken = default);
}

/// <summary>A snapshot of the cluster's active workers.</summary>
/// <param name="Version">Increases on every change seen by the answering silo (compare only with the same silo's answers).</param>
/// <param name="Workers">Active silos ordered by address.</param>
[GenerateSerializer, Immutable, Alias("elastic.ClusterWorkers")]
public sealed record ClusterWorkers(
    [property: Id(0)] long Version,
    [property: Id(1)] ClusterWorker[] Workers);

/// <summary>One active silo.</summary>
/// <param name="Silo">The silo's address (stable for the life of the process).</param>
/// <param name="Roles">The silo's worker roles.</param>
/// <param name="HttpUrl">The worker's HTTP endpoint (OpenAI API, /load), when it published one.</param>
[GenerateSerializer, Immutable, Alias("elastic.ClusterWorker")]
public sealed record ClusterWorker(
    [property: Id(0)] string Silo,
    [property: Id(1)] WorkerRole Roles,
    [property: Id(2)] string? HttpUrl);
