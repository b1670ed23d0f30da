using Elastic.Abstractions.Grains;

namespace Elastic.Worker.Placement;

/// <summary>How a silo's <see cref="WorkerRole"/> set travels: as an Orleans silo-metadata entry every silo can read.</summary>
public static class SiloRoles
{
    /// <summary>The silo-metadata key holding the roles, e.g. <c>"Decode, Expert"</c>.</summary>
    public const string MetadataKey = "elastic.roles";

    /// <summary>The silo-metadata key holding the worker's OpenAI HTTP endpoint, which gateways route to.</summary>
    public const string HttpEndpointKey = "elastic.http";

    /// <summary>The metadata value for <paramref name="roles"/>.</summary>
    public static string Format(WorkerRole roles) => roles.ToString();

    /// <summary>Roles from a metadata value; <see cref="WorkerRole.None"/> when absent or not understood.</summary>
    public static WorkerRole Parse(string? value) =>
        !string.IsNullOrWhiteSpace(value) && Enum.TryParse<WorkerRole>(value, ignoreCase: true, out var roles) && (roles & ~WorkerRole.All) == 0
            ? roles
            : WorkerRole.None;
}
