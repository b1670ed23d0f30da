namespace Elastic.Worker.Cluster;

/// <summary>How a grain call fails when its target silo is gone or not answering, as opposed to failing on its input.</summary>
internal static class GrainCallFailures
{
    /// <summary>True for failures another silo (a replica, a local fallback) may not have: the target was unreachable.</summary>
    public static bool IsUnreachable(Exception exception) =>
        exception is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException;
}
