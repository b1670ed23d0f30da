using Elastic.Abstractions.Grains;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Metadata;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Elastic.Worker.Placement;

/// <summary>
/// Chooses a silo holding the grain's role, read from each silo's Orleans silo metadata. A placement
/// hint in the request context (as a planner or a migration gives) wins when that silo qualifies;
/// otherwise a qualifying silo is picked at random, like Orleans' default placement.
/// </summary>
internal sealed partial class RolePlacementDirector(
    ISiloMetadataCache metadata,
    IOptions<SiloMetadata> localMetadata,
    GrainPropertiesResolver grainProperties,
    IOptions<RolePlacementOptions> options,
    TimeProvider time,
    ILogger<RolePlacementDirector> logger) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        // One strategy instance may be shared by every grain type using it, so the role is read from
        // the grain type's own properties rather than trusted from the instance.
        var role = grainProperties.TryGetGrainProperties(target.GrainIdentity.Type, out var properties) && RolePlacementStrategy.RoleOf(properties) is { } declared
            ? declared
            : ((RolePlacementStrategy)strategy).Role;

        var deadline = time.GetUtcNow() + options.Value.MetadataWait;
        while (true)
        {
            var silos = context.GetCompatibleSilos(target);
            var eligible = silos.Where(s => RolesOf(s, context).HasFlag(role)).ToArray();
            if (eligible.Length > 0)
            {
                var chosen = IPlacementDirector.GetPlacementHint(target.RequestContextData, eligible)
                    ?? eligible[Random.Shared.Next(eligible.Length)];
                LogPlaced(logger, target.GrainIdentity, role, chosen);
                return chosen;
            }

            if (time.GetUtcNow() >= deadline)
            {
                var seen = string.Join(", ", silos.Select(s => $"{s} ({RolesOf(s, context)})"));
                LogNoSilo(logger, target.GrainIdentity, role, seen);
                throw new InvalidOperationException(
                    $"Cannot place {target.GrainIdentity}: no active silo has the {role} worker role (silos: {(seen.Length == 0 ? "none" : seen)}). Start a worker with Worker:Role including {role}.");
            }

            await Task.Delay(options.Value.MetadataPollInterval, time).ConfigureAwait(false);
        }
    }

    private WorkerRole RolesOf(SiloAddress silo, IPlacementContext context)
    {
        // The local silo's own configuration is authoritative and available before its cache fills.
        var values = silo.Equals(context.LocalSilo) ? localMetadata.Value.Metadata : metadata.GetSiloMetadata(silo).Metadata;
        return SiloRoles.Parse(values.GetValueOrDefault(SiloRoles.MetadataKey));
    }

    [LoggerMessage(EventId = 2210, Level = LogLevel.Debug, Message = "Placing {Grain} (role {Role}) on {Silo}")]
    private static partial void LogPlaced(ILogger logger, GrainId grain, WorkerRole role, SiloAddress silo);

    [LoggerMessage(EventId = 2211, Level = LogLevel.Error, Message = "Cannot place {Grain}: no active silo has the {Role} role; silos seen: {Silos}")]
    private static partial void LogNoSilo(ILogger logger, GrainId grain, WorkerRole role, string silos);
}
