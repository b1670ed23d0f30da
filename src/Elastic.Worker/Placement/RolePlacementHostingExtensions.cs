using Elastic.Abstractions.Grains;
using Elastic.Worker.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Elastic.Worker.Placement;

/// <summary>Registers role-based placement on a silo.</summary>
public static class RolePlacementHostingExtensions
{
    /// <summary>
    /// Publishes this silo's <paramref name="roles"/> as silo metadata and registers the placement
    /// director for <see cref="RolePlacementAttribute"/> grains. Orleans' silo-metadata feature is
    /// enabled here, so call it once and do not call <c>UseSiloMetadata</c> separately; other metadata of the
    /// silo (such as its HTTP endpoint) goes in <paramref name="extraMetadata"/>.
    /// </summary>
    public static ISiloBuilder AddRolePlacement(this ISiloBuilder builder, WorkerRole roles, Action<RolePlacementOptions>? configure = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        if ((roles & ~WorkerRole.All) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(roles), roles, "unknown worker role flags");
        }

        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>()) { [SiloRoles.MetadataKey] = SiloRoles.Format(roles) };
        builder.UseSiloMetadata(metadata);
        builder.Services.AddPlacementDirector<RolePlacementStrategy, RolePlacementDirector>();
        var options = builder.Services.AddOptions<RolePlacementOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RolePlacementOptions>, RolePlacementOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ClusterMembers>();
        return builder;
    }
}
