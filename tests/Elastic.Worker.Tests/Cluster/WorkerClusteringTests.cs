using Elastic.Abstractions.Cluster;
using Elastic.Worker.Cluster;
using Elastic.Worker.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Elastic.Worker.Tests.Cluster;

/// <summary>What each cluster address wires into a silo, read from the built service container (nothing is started).</summary>
[Trait("Category", "Unit")]
public sealed class WorkerClusteringTests
{
    [Fact]
    public void Redis_UsesRedisMembership_DurablePlacementStorage_AndTheElasticClusterId()
    {
        using var host = Build(new WorkerClustering(ClusterConnection.Parse("redis://127.0.0.1:6390"), SiloPort: 12111, GatewayPort: 32000));

        Assert.Equal("RedisMembershipTable", host.Services.GetRequiredService<IMembershipTable>().GetType().Name);
        Assert.Equal("RedisGrainStorage", host.Services.GetRequiredKeyedService<IGrainStorage>(PlacementStorage.Name).GetType().Name);
        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal((ClusterConnection.ClusterId, ClusterConnection.ClusterId), (cluster.ClusterId, cluster.ServiceId));
        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal((12111, 32000), (endpoints.SiloPort, endpoints.GatewayPort));
        Assert.Equal(System.Net.IPAddress.Loopback, endpoints.AdvertisedIPAddress);
    }

    [Fact]
    public void Redis_PortZero_PicksFreeDistinctPorts()
    {
        using var host = Build(new WorkerClustering(ClusterConnection.Parse("redis://127.0.0.1:6390")));

        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.True(endpoints.SiloPort > 0 && endpoints.GatewayPort > 0 && endpoints.SiloPort != endpoints.GatewayPort);
    }

    [Fact]
    public void Kubernetes_AddsOrleansKubernetesHosting_WithConventionalPorts()
    {
        IServiceCollection? services = null;
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo =>
        {
            new WorkerClustering(ClusterConnection.Parse("redis://redis:6379"), Kubernetes: true).Apply(silo);
            services = silo.Services;
        });
        using var host = builder.Build();

        // Registered, not resolved: the agent needs a pod's environment (POD_NAME, POD_NAMESPACE) and an API server.
        Assert.Contains(services!, d => d.ServiceType.Name == "KubernetesClusterAgent" || d.ImplementationType?.Name == "KubernetesClusterAgent");
        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal((EndpointOptions.DEFAULT_SILO_PORT, EndpointOptions.DEFAULT_GATEWAY_PORT), (endpoints.SiloPort, endpoints.GatewayPort));
    }

    [Fact]
    public void Localhost_KeepsInMemoryPlacementStorage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo =>
        {
            new WorkerClustering(ClusterConnection.Localhost).Apply(silo);
            silo.AddInMemoryPlacementStorageIfMissing();
        });
        using var host = builder.Build();

        Assert.Equal("MemoryGrainStorage", host.Services.GetRequiredKeyedService<IGrainStorage>(PlacementStorage.Name).GetType().Name);
    }

    private static IHost Build(WorkerClustering clustering)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo =>
        {
            clustering.Apply(silo);
            silo.AddInMemoryPlacementStorageIfMissing();
        });
        return builder.Build();
    }
}
