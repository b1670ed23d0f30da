namespace Elastic.Worker.Metrics;

/// <summary>
/// Bytes this process moved between silos for one request path: KV caches received from prefill silos and activations
/// exchanged with expert shards (payload bytes, without Orleans framing) — and, apart, the expert-shard calls that
/// stayed in this process because the shard is active here. Thread-safe; read on each metrics scrape.
/// </summary>
public sealed class TransferCounters
{
    private long _kvBytes;
    private long _kvTokens;
    private long _expertBytesSent;
    private long _expertBytesReceived;
    private long _expertCalls;
    private long _expertCallsInProcess;

    public long KvBytes => Interlocked.Read(ref _kvBytes);

    public long KvTokens => Interlocked.Read(ref _kvTokens);

    public long ExpertBytesSent => Interlocked.Read(ref _expertBytesSent);

    public long ExpertBytesReceived => Interlocked.Read(ref _expertBytesReceived);

    public long ExpertCalls => Interlocked.Read(ref _expertCalls);

    public long ExpertCallsInProcess => Interlocked.Read(ref _expertCallsInProcess);

    public void AddKvTransfer(long bytes, long tokens)
    {
        Interlocked.Add(ref _kvBytes, bytes);
        Interlocked.Add(ref _kvTokens, tokens);
    }

    public void AddExpertCall(long bytesSent, long bytesReceived)
    {
        Interlocked.Add(ref _expertBytesSent, bytesSent);
        Interlocked.Add(ref _expertBytesReceived, bytesReceived);
        Interlocked.Increment(ref _expertCalls);
    }

    public void AddInProcessExpertCall() => Interlocked.Increment(ref _expertCallsInProcess);
}
