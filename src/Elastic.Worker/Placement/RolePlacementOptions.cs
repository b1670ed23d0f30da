using Microsoft.Extensions.Options;

namespace Elastic.Worker.Placement;

/// <summary>Settings of role-based placement.</summary>
public sealed class RolePlacementOptions
{
    /// <summary>
    /// How long an activation waits for silo metadata of a silo that just joined before placement
    /// gives up because no silo holds the role (default 5 s). Roles of remote silos arrive shortly
    /// after they join, so a zero wait would fail activations during a scale-out.
    /// </summary>
    public TimeSpan MetadataWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often placement re-reads silo metadata while waiting (default 100 ms).</summary>
    public TimeSpan MetadataPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>Fails start-up naming the bad <see cref="RolePlacementOptions"/> setting.</summary>
internal sealed class RolePlacementOptionsValidator : IValidateOptions<RolePlacementOptions>
{
    public ValidateOptionsResult Validate(string? name, RolePlacementOptions options)
    {
        if (options.MetadataWait < TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"RolePlacement:{nameof(options.MetadataWait)} must not be negative, got {options.MetadataWait}");
        }

        if (options.MetadataPollInterval <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"RolePlacement:{nameof(options.MetadataPollInterval)} must be positive, got {options.MetadataPollInterval}");
        }

        return ValidateOptionsResult.Success;
    }
}
