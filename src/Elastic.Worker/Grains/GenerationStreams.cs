using System.Collections.Concurrent;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Grains;

/// <summary>
/// Silo-local hand-off between the HTTP endpoint and the decode grain of the same silo: the endpoint registers a
/// request and passes only its id through Orleans; the grain admits it by handing it the stream of its updates
/// from the grain's engine, which the endpoint then reads itself. Nothing here crosses a process, so exceptions
/// and tokens keep their types, nothing polls, and a token reaches the response with one thread hop (the engine
/// loop's hand-off), not one per stage.
/// </summary>
public sealed class GenerationStreams
{
    private readonly ConcurrentDictionary<Guid, PendingGeneration> _pending = new();

    /// <summary>Requests registered and not yet taken by a decode grain.</summary>
    public int Pending => _pending.Count;

    /// <summary>Registers a request; once a decode grain admitted it, <see cref="PendingGeneration.Updates"/> streams it.</summary>
    public PendingGeneration Register(IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        var pending = new PendingGeneration(Guid.NewGuid(), prompt, sampling, cancellationToken);
        _pending[pending.RequestId] = pending;
        return pending;
    }

    /// <summary>Drops a registration nobody will take (the admission call failed).</summary>
    public void Forget(Guid requestId) => _pending.TryRemove(requestId, out _);

    internal bool TryTake(Guid requestId, out PendingGeneration pending) => _pending.TryRemove(requestId, out pending!);
}

/// <summary>A registered request: what to generate, and once admitted, the stream of its updates.</summary>
public sealed class PendingGeneration
{
    private IAsyncEnumerable<GenerationUpdate>? _updates;

    internal PendingGeneration(Guid requestId, IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken cancellationToken)
    {
        RequestId = requestId;
        Prompt = prompt;
        Sampling = sampling;
        CancellationToken = cancellationToken;
    }

    /// <summary>The id that crosses Orleans.</summary>
    public Guid RequestId { get; }

    internal IReadOnlyList<int> Prompt { get; }

    internal SamplingParams Sampling { get; }

    internal CancellationToken CancellationToken { get; }

    /// <summary>The request's updates (read once); throws when no decode grain admitted it.</summary>
    public IAsyncEnumerable<GenerationUpdate> Updates =>
        Volatile.Read(ref _updates) ?? throw new InvalidOperationException($"request {RequestId} was not admitted by a decode grain");

    internal void Admit(IAsyncEnumerable<GenerationUpdate> updates) => Volatile.Write(ref _updates, updates);
}
