using Elastic.Abstractions.Grains;
using Microsoft.Extensions.Hosting;
using Orleans.Concurrency;

namespace Elastic.Worker.Cluster;

/// <summary>
/// Answers <see cref="IClusterDirectoryGrain"/> from the hosting silo's <see cref="ClusterMembers"/>: one activation per
/// silo, reentrant so many long polls wait together; a client's calls land on the silo it is connected to. Once the
/// silo's host begins stopping, waiting polls are answered at once and new ones wait at most a second, so no gateway's
/// poll holds the silo's shutdown (a call still running there delays it up to the deactivation timeout) and none spins.
/// </summary>
[StatelessWorker(1)]
[Reentrant]
internal sealed class ClusterDirectoryGrain(ClusterMembers members, IHostApplicationLifetime lifetime) : Grain, IClusterDirectoryGrain
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StoppingWait = TimeSpan.FromSeconds(1);

    public async Task<ClusterWorkers> WatchAsync(long knownVersion, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        var stopping = lifetime.ApplicationStopping;
        if (stopping.IsCancellationRequested)
        {
            return await members.WaitForChangeAsync(knownVersion, Clamp(maxWait, StoppingWait), cancellationToken).ConfigureAwait(true);
        }

        using var waitEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        try
        {
            return await members.WaitForChangeAsync(knownVersion, Clamp(maxWait, LongestWait), waitEnds.Token).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The host began stopping: answer with what is known now.
            return await members.WaitForChangeAsync(knownVersion, TimeSpan.Zero, cancellationToken).ConfigureAwait(true);
        }
    }

    private static TimeSpan Clamp(TimeSpan wait, TimeSpan longest) => wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < longest ? wait : longest;
}
