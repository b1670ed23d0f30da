using Elastic.Abstractions.Grains;
using Orleans.Metadata;
using Orleans.Placement;

namespace Elastic.Worker.Placement;

/// <summary>Activates a grain only on silos holding a given <see cref="WorkerRole"/>.</summary>
[GenerateSerializer, Alias("elastic.RolePlacementStrategy")]
public sealed class RolePlacementStrategy : PlacementStrategy
{
    /// <summary>Grain-type property carrying the role through the cluster manifest.</summary>
    internal const string RoleProperty = "elastic-placement-role";

    public RolePlacementStrategy()
    {
    }

    public RolePlacementStrategy(WorkerRole role) => Role = role;

    /// <summary>The role a silo must hold (all of its flags) to host the grain.</summary>
    [Id(0)]
    public WorkerRole Role { get; private set; }

    /// <summary>The role recorded for a grain type, if it was placed with this strategy.</summary>
    internal static WorkerRole? RoleOf(GrainProperties properties) =>
        properties.Properties.TryGetValue(RoleProperty, out var value) && SiloRoles.Parse(value) is var role and not WorkerRole.None
            ? role
            : null;

    public override void Initialize(GrainProperties properties)
    {
        base.Initialize(properties);
        if (RoleOf(properties) is { } role)
        {
            Role = role;
        }
    }

    public override void PopulateGrainProperties(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        base.PopulateGrainProperties(services, grainClass, grainType, properties);
        properties[RoleProperty] = SiloRoles.Format(Role);
    }
}

/// <summary>Places the grain class only on silos that hold <paramref name="role"/>: <c>[RolePlacement(WorkerRole.Expert)]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RolePlacementAttribute(WorkerRole role) : PlacementAttribute(new RolePlacementStrategy(role))
{
    public WorkerRole Role { get; } = role;
}
