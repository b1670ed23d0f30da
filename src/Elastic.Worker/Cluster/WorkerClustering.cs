using System.Net;
using Elastic.Abstractions.Cluster;
using Elastic.Worker.Grains;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace Elastic.Worker.Cluster;

/// <summary>How a worker silo joins its cluster: membership provider, ports and, in pods, Kubernetes hosting.</summary>
public sealed record WorkerClustering(ClusterConnection Cluster, int SiloPort = 0, int GatewayPort = 0, bool Kubernetes = false)
{
    /// <summary>Applies the settings to a silo. Port 0 picks a free loopback port (several workers on one machine).</summary>
    public void Apply(ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (Cluster.Kind == ClusterKind.Localhost)
        {
            silo.UseLocalhostClustering(SiloPort == 0 ? EndpointOptions.DEFAULT_SILO_PORT : SiloPort, GatewayPort == 0 ? EndpointOptions.DEFAULT_GATEWAY_PORT : GatewayPort);
            return;
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterConnection.ClusterId;
            o.ServiceId = ClusterConnection.ClusterId;
        });
        silo.UseRedisClustering(Cluster.RedisConfiguration);

        // The default directory forgets the registrations a departed silo held, and Orleans then deactivates those
        // activations on healthy silos: a decoder or prefill process leaving would reset expert shards elsewhere.
        // The distributed directory hands its ranges over when membership changes.
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; measured to keep shards alive across departures
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003

        // Placement tables outlive any one silo: they are kept in the same Redis, in Orleans' binary format.
        silo.Services.AddRedisGrainStorage(PlacementStorage.Name, storage => storage.Configure<Serializer>((o, serializer) =>
        {
            o.ConfigurationOptions = ConfigurationOptions.Parse(Cluster.RedisConfiguration);
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
        if (Kubernetes)
        {
            // Pod name, namespace and IP come from the pod's environment (POD_NAME, POD_NAMESPACE, POD_IP); the agent
            // also deletes pods of silos the cluster declared dead.
            silo.UseKubernetesHosting();
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloPort = SiloPort == 0 ? EndpointOptions.DEFAULT_SILO_PORT : SiloPort;
                o.GatewayPort = GatewayPort == 0 ? EndpointOptions.DEFAULT_GATEWAY_PORT : GatewayPort;
            });
            return;
        }

        silo.ConfigureEndpoints(IPAddress.Loopback, SiloPort == 0 ? LoopbackPorts.Free() : SiloPort, GatewayPort == 0 ? LoopbackPorts.Free() : GatewayPort, listenOnAnyHostAddress: false);
    }
}
