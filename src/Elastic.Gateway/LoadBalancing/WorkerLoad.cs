using System.Text.Json.Serialization;

namespace Elastic.Gateway.LoadBalancing;

/// <summary>
/// What a worker reports at <c>GET /load</c>, as JSON:
/// <c>{"running":3,"waiting":0,"kvCacheUsage":0.42,"outstandingTokens":5120,"draining":false}</c>.
/// </summary>
/// <param name="Running">Sequences in the running batch.</param>
/// <param name="Waiting">Requests queued and not yet admitted (queue depth).</param>
/// <param name="KvCacheUsage">Fraction 0..1 of the KV-cache budget in use.</param>
/// <param name="OutstandingTokens">Tokens still to be processed for admitted and queued requests (prompt not yet prefilled + output not yet generated).</param>
/// <param name="Draining">The worker is stopping: it finishes what it has and must get no new requests.</param>
public sealed record WorkerLoad(
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("waiting")] int Waiting,
    [property: JsonPropertyName("kvCacheUsage")] double KvCacheUsage,
    [property: JsonPropertyName("outstandingTokens")] long OutstandingTokens,
    [property: JsonPropertyName("draining")] bool Draining = false)
{
    public static WorkerLoad Idle { get; } = new(0, 0, 0, 0);
}
