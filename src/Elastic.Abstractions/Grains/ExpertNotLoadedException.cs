namespace Elastic.Abstractions.Grains;

/// <summary>
/// A shard was asked for an expert it does not hold: typically a shard re-activated empty on another
/// silo after its silo died, or a caller using a stale placement. Safe to retry on another replica.
/// </summary>
[GenerateSerializer, Alias("elastic.ExpertNotLoadedException")]
public sealed class ExpertNotLoadedException : Exception
{
    public ExpertNotLoadedException()
    {
    }

    public ExpertNotLoadedException(string message)
        : base(message)
    {
    }

    public ExpertNotLoadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ExpertNotLoadedException(string shard, ExpertId expert)
        : base($"expert shard '{shard}' does not hold expert {expert}")
    {
        Shard = shard;
        Expert = expert;
    }

    /// <summary>The shard that was asked.</summary>
    [Id(0)]
    public string? Shard { get; init; }

    /// <summary>The expert it lacks.</summary>
    [Id(1)]
    public ExpertId? Expert { get; init; }
}
