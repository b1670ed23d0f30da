using Elastic.Abstractions.Grains;
using Orleans.Concurrency;

namespace Elastic.Worker.Cluster;

/// <summary>
/// Answers <see cref="IClusterDirectoryGrain"/> from the hosting silo's <see cref="ClusterMembers"/>: one activation per
/// silo, reentrant so many long polls wait together; a client's calls land on the silo it is connected to.
/// </summary>
[StatelessWorker(1)]
[Reentrant]
internal sealed class ClusterDirectoryGrain(ClusterMembers members) : Grain, IClusterDirectoryGrain
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(20);

    public Task<ClusterWorkers> WatchAsync(long knownVersion, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        var wait = maxWait <= TimeSpan.Zero ? TimeSpan.Zero : maxWait < LongestWait ? maxWait : LongestWait;
        return members.WaitForChangeAsync(knownVersion, wait, cancellationToken);
    }
}
