using System.Collections.Concurrent;
using System.Threading.Channels;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Grains;

/// <summary>
/// Silo-local hand-off between the HTTP endpoint and the decode grain of the same silo: the endpoint
/// registers a request and passes only its id through Orleans; the grain takes it and streams the
/// updates into the request's channel. Nothing here crosses a process, so exceptions and tokens keep
/// their types and nothing polls.
/// </summary>
public sealed class GenerationStreams
{
    private readonly ConcurrentDictionary<Guid, PendingGeneration> _pending = new();

    /// <summary>Requests registered and not yet taken by a decode grain.</summary>
    public int Pending => _pending.Count;

    /// <summary>Registers a request; the reader yields its updates and completes (or faults) at its end.</summary>
    public (Guid RequestId, ChannelReader<GenerationUpdate> Updates) Register(IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var id = Guid.NewGuid();
        _pending[id] = new PendingGeneration(prompt, sampling, channel.Writer, cancellationToken);
        return (id, channel.Reader);
    }

    /// <summary>Drops a registration nobody will take (the admission call failed).</summary>
    public void Forget(Guid requestId) => _pending.TryRemove(requestId, out _);

    internal bool TryTake(Guid requestId, out PendingGeneration pending) => _pending.TryRemove(requestId, out pending!);
}

/// <summary>A registered request waiting for its decode grain.</summary>
internal sealed record PendingGeneration(IReadOnlyList<int> Prompt, SamplingParams Sampling, ChannelWriter<GenerationUpdate> Updates, CancellationToken CancellationToken);
