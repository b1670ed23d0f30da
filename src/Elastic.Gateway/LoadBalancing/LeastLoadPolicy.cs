using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Elastic.Gateway.LoadBalancing;

/// <summary>
/// Picks the worker with the least work ahead of a new request, from the load workers report:
/// first a worker that can admit now (nothing queued, KV cache below <see cref="KvHighWatermark"/>), then the fewest
/// outstanding tokens, then the lowest KV use, and on a tie the fewest requests this gateway has in flight to it —
/// reports are up to one poll old, so during a burst the in-flight count is what spreads requests across idle workers.
/// Workers without a live report are never picked.
/// </summary>
internal sealed class LeastLoadPolicy(WorkerLoadBoard board) : ILoadBalancingPolicy
{
    public const string PolicyName = "ElasticLeastLoad";

    /// <summary>Above this KV use a new sequence is likely to wait for memory even with an empty queue.</summary>
    public const double KvHighWatermark = 0.9;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        DestinationState? best = null;
        var bestLoad = WorkerLoad.Idle;
        foreach (var destination in availableDestinations)
        {
            if (!board.TryGetLiveLoad(destination.DestinationId, out var load))
            {
                continue;
            }

            if (best is null || Compare(load, destination.ConcurrentRequestCount, bestLoad, best.ConcurrentRequestCount) < 0)
            {
                best = destination;
                bestLoad = load;
            }
        }

        return best;
    }

    /// <summary>Negative when worker a is the better pick.</summary>
    internal static int Compare(WorkerLoad a, int aInFlight, WorkerLoad b, int bInFlight)
    {
        var admit = CanAdmit(b).CompareTo(CanAdmit(a));
        if (admit != 0)
        {
            return admit;
        }

        var tokens = a.OutstandingTokens.CompareTo(b.OutstandingTokens);
        if (tokens != 0)
        {
            return tokens;
        }

        var kv = a.KvCacheUsage.CompareTo(b.KvCacheUsage);
        return kv != 0 ? kv : aInFlight.CompareTo(bInFlight);
    }

    private static bool CanAdmit(WorkerLoad load) => load.Waiting == 0 && load.KvCacheUsage < KvHighWatermark;
}
