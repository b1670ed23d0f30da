namespace Elastic.Abstractions.Grains;

/// <summary>
/// Runs the continuous decode batch of one model on one worker silo. The HTTP endpoint of the same
/// silo registers a request in its silo-local stream registry and hands over only the request id;
/// tokens come back through that registry, in process, without polling. Key: see <see cref="DecodeGrainKey"/>.
/// </summary>
public interface IDecodeGrain : IGrainWithStringKey
{
    /// <summary>
    /// Admits the request registered on this silo under <paramref name="requestId"/> into the batch.
    /// Refusals (overload, a request that can never run) arrive on the request's stream, in process.
    /// </summary>
    Task AdmitAsync(Guid requestId);

    /// <summary>Load of this decode engine, for load-aware routing and autoscaling.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<DecodeStats> GetStatsAsync();
}

/// <summary>Point-in-time load of a decode engine.</summary>
/// <param name="Running">Sequences in the batch.</param>
/// <param name="Waiting">Sequences queued for admission.</param>
/// <param name="KvCacheUsage">Fraction of the KV-cache budget reserved, 0..1.</param>
/// <param name="Steps">Forward steps run.</param>
/// <param name="GeneratedTokens">Tokens generated.</param>
/// <param name="PrefillHandOffs">Requests whose prompt was prefilled on a prefill grain and handed over.</param>
/// <param name="HandOffKvBytes">KV-cache payload bytes received in those hand-overs.</param>
/// <param name="HandOffKvTokens">Prompt tokens those bytes cover.</param>
[GenerateSerializer, Immutable, Alias("elastic.DecodeStats")]
public sealed record DecodeStats(
    [property: Id(0)] int Running,
    [property: Id(1)] int Waiting,
    [property: Id(2)] double KvCacheUsage,
    [property: Id(3)] long Steps,
    [property: Id(4)] long GeneratedTokens,
    [property: Id(5)] long PrefillHandOffs = 0,
    [property: Id(6)] long HandOffKvBytes = 0,
    [property: Id(7)] long HandOffKvTokens = 0);

/// <summary>Decode grains are per silo and model: the key ties the grain to the silo whose endpoint uses it.</summary>
public static class DecodeGrainKey
{
    /// <summary>The key of <paramref name="model"/>'s decode grain on the silo at <paramref name="siloAddress"/>.</summary>
    public static string For(string siloAddress, string model) => $"{model}@{siloAddress}";
}
