using Yarp.ReverseProxy.Model;

namespace Elastic.Gateway.LoadBalancing;

/// <summary>
/// Proxy-pipeline step before load balancing that drops workers without a live load report. YARP skips the
/// balancing policy when one destination is left, so without this a lone dead worker would still be tried.
/// </summary>
internal static class LiveWorkerFilter
{
    public static Task InvokeAsync(HttpContext context, Func<Task> next, WorkerLoadBoard board)
    {
        var feature = context.GetReverseProxyFeature();
        var available = feature.AvailableDestinations;
        var allLive = true;
        foreach (var destination in available)
        {
            allLive &= board.TryGetLiveLoad(destination.DestinationId, out _);
        }

        if (!allLive)
        {
            feature.AvailableDestinations = available.Where(d => board.TryGetLiveLoad(d.DestinationId, out _)).ToArray();
        }

        return next();
    }
}
