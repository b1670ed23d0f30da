namespace Elastic.Abstractions.Grains;

/// <summary>A placement table was published with a version other than current + 1: another planner won the race.</summary>
[GenerateSerializer, Alias("elastic.PlacementVersionConflictException")]
public sealed class PlacementVersionConflictException : Exception
{
    public PlacementVersionConflictException()
    {
    }

    public PlacementVersionConflictException(string message)
        : base(message)
    {
    }

    public PlacementVersionConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PlacementVersionConflictException(string model, long currentVersion, long publishedVersion)
        : base($"placement of model '{model}' is at version {currentVersion}; a publish must carry version {currentVersion + 1}, not {publishedVersion}")
    {
        CurrentVersion = currentVersion;
    }

    /// <summary>The version the directory holds; re-read it and plan again.</summary>
    [Id(0)]
    public long CurrentVersion { get; init; }
}
