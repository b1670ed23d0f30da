using System.Diagnostics.CodeAnalysis;
using System.Net;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.LoadBalancing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace Elastic.Gateway.Destinations;

/// <summary>
/// Feeds YARP the gateway's routes and one cluster of the directory's workers, rebuilt whenever the directory
/// changes. Load never reaches this provider: it only changes which workers exist.
/// </summary>
internal sealed class WorkerProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    public const string ClusterId = "workers";

    private readonly IWorkerDirectory _directory;
    private readonly GatewayOptions _options;
    private readonly IDisposable _subscription;
    private readonly Lock _rebuildGate = new();
    private volatile Snapshot _config;

    public WorkerProxyConfigProvider(IWorkerDirectory directory, IOptions<GatewayOptions> options)
    {
        _directory = directory;
        _options = options.Value;
        // The token is taken before the workers are read: a change landing between the read and the subscription
        // (a silo joining while the gateway starts) would otherwise leave YARP without that worker until the next
        // change, while /readyz, which reads the directory itself, already said ready (seen: a fresh `elastic serve`
        // answering every request 503 "no worker available").
        var seen = directory.GetChangeToken();
        _config = Build(directory.Workers);
        _subscription = ChangeToken.OnChange(directory.GetChangeToken, Rebuild);
        if (seen.HasChanged)
        {
            Rebuild();
        }
    }

    public IProxyConfig GetConfig() => _config;

    public void Dispose() => _subscription.Dispose();

    private void Rebuild()
    {
        // Serialized, so that of two rebuilds racing the one that read the newer workers is the one left in place.
        lock (_rebuildGate)
        {
            var old = Interlocked.Exchange(ref _config, Build(_directory.Workers));
            old.SignalChange();
        }
    }

    private Snapshot Build(IReadOnlyList<WorkerEndpoint> workers)
    {
        // The client's gateway key means nothing to a worker and must not leak past the gateway.
        IReadOnlyList<IReadOnlyDictionary<string, string>> transforms =
            [new Dictionary<string, string> { ["RequestHeaderRemove"] = "Authorization" }];

        RouteConfig[] routes =
        [
            Route(GatewayRoutes.Models, "/v1/models/{**rest}", HttpMethods.Get, transforms),
            Route(GatewayRoutes.Completions, GatewayRoutes.CompletionsPath, HttpMethods.Post, transforms),
            Route(GatewayRoutes.ChatCompletions, GatewayRoutes.ChatCompletionsPath, HttpMethods.Post, transforms),
        ];

        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = LeastLoadPolicy.PolicyName,
            HealthCheck = new HealthCheckConfig
            {
                // No "panic" fallback to unhealthy workers: a dead worker costs the client a 502, a 503 tells it to retry.
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = TransportFailurePolicy.PolicyName,
                    ReactivationPeriod = _options.FailedWorkerCooldown,
                },
            },
            HttpRequest = new ForwarderRequestConfig
            {
                ActivityTimeout = _options.ActivityTimeout,
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
                // Buffering would hold server-sent events back until the stream ends.
                AllowResponseBuffering = false,
            },
            Destinations = workers.ToDictionary(
                w => w.Id,
                w => new DestinationConfig { Address = w.Address.ToString() },
                StringComparer.OrdinalIgnoreCase),
        };

        return new Snapshot(routes, [cluster]);
    }

    private static RouteConfig Route(string id, string path, string method, IReadOnlyList<IReadOnlyDictionary<string, string>> transforms) => new()
    {
        RouteId = id,
        ClusterId = ClusterId,
        Match = new RouteMatch { Path = path, Methods = [method] },
        Transforms = transforms,
    };

    [SuppressMessage("Design", "CA1001", Justification = "Cancelled, never disposed: YARP may still hold the token of an old snapshot.")]
    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        private readonly CancellationTokenSource _cts = new();

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_cts.Token);

        public void SignalChange() => _cts.Cancel();
    }
}
