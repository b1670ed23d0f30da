using Elastic.Worker.Api;
using Elastic.Worker.Experts;
using Elastic.Worker.Grains;
using Elastic.Worker.Metrics;
using Elastic.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>Turns a host into an Elastic worker silo: role placement, model, expert-shard start-up, decode grain, generation backend.</summary>
public static class WorkerHosting
{
    /// <summary>Adds the worker's services to a silo; settings are validated when the host starts.</summary>
    public static ISiloBuilder AddElasticWorker(this ISiloBuilder builder, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.AddRolePlacement(
            options.Role,
            extraMetadata: options.AdvertisedHttpUrl is { } url ? new Dictionary<string, string> { [SiloRoles.HttpEndpointKey] = url } : null);
        builder.AddInMemoryPlacementStorageIfMissing();
        var services = builder.Services;
        services.AddOptions<WorkerOptions>().Configure(options.CopyTo).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>());
        services.TryAddSingleton<WorkerModel>();
        services.TryAddSingleton<EngineMonitor>();
        services.TryAddSingleton<GenerationStreams>();
        services.TryAddSingleton<ExpertShardBootstrap>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ExpertShardBootstrap>());
        services.TryAddSingleton<RemotePrefill>();
        services.TryAddSingleton<TransferCounters>();
        services.TryAddSingleton<SiloLocal<ShardExperts>>();
        services.TryAddSingleton<SiloLocal<PublishedTable>>();
        services.TryAddSingleton<WorkerDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerDrain>());
        services.TryAddSingleton<GrainGenerationBackend>();
        services.TryAddSingleton<IGenerationBackend>(sp => sp.GetRequiredService<GrainGenerationBackend>());
        services.AddHostedService<WorkerStartup>();
        return builder;
    }

    /// <summary>
    /// Hosts an Orleans silo that is an Elastic worker. Without <paramref name="configureSilo"/> the silo
    /// uses localhost clustering (the embedded single-process default); pass it to set real clustering.
    /// </summary>
    public static IHostApplicationBuilder AddElasticWorker(this IHostApplicationBuilder builder, WorkerOptions options, Action<ISiloBuilder>? configureSilo = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseOrleans(silo =>
        {
            if (configureSilo is null)
            {
                silo.UseLocalhostClustering();
            }
            else
            {
                configureSilo(silo);
            }

            silo.AddElasticWorker(options);
        });
        return builder;
    }
}
