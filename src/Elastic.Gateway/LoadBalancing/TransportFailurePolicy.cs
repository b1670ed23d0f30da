using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Elastic.Gateway.LoadBalancing;

/// <summary>
/// Passive health: one transport failure (connection refused, reset, stream cut mid-response) takes a worker out
/// for the cluster's reactivation period. YARP's built-in failure-rate policy needs 10 requests in a 60 s window
/// before it reacts; LLM requests are few and long, so waiting for a rate would fail many of them on a dead pod.
/// </summary>
internal sealed class TransportFailurePolicy(IDestinationHealthUpdater healthUpdater) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "ElasticTransportFailure";

    private static readonly TimeSpan DefaultReactivation = TimeSpan.FromSeconds(10);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cluster);
        if (!WorkerFailed(context))
        {
            return;
        }

        var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivation;
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }

    private static bool WorkerFailed(HttpContext context)
    {
        // A client that went away says nothing about the worker.
        if (context.RequestAborted.IsCancellationRequested || context.Features.Get<IForwarderErrorFeature>() is not { } error)
        {
            return false;
        }

        return error.Error is ForwarderError.Request
            or ForwarderError.RequestTimedOut
            or ForwarderError.RequestBodyDestination
            or ForwarderError.ResponseBodyDestination;
    }
}
