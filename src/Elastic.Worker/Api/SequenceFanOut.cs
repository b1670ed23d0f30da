using System.Threading.Channels;
using Elastic.Inference.Generation;

namespace Elastic.Worker.Api;

/// <summary>One update of one choice.</summary>
internal readonly record struct SequenceEvent(int Index, GenerationUpdate Update);

/// <summary>
/// Runs a request's sequences concurrently and merges their updates into one stream in arrival order. The first
/// failure cancels the siblings (so a refused n=2 request holds no cache), and so does the client going away.
/// </summary>
internal sealed class SequenceFanOut : IAsyncDisposable
{
    private readonly Channel<SequenceEvent> _events = Channel.CreateUnbounded<SequenceEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cancel;
    private readonly Task _completion;
    private Exception? _failure;

    private SequenceFanOut(IGenerationBackend backend, IReadOnlyList<SequencePlan> plans, RequestTelemetry telemetry, CancellationToken requestAborted)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        var producers = new Task[plans.Count];
        for (var i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            producers[i] = Task.Run(() => ProduceAsync(backend, plan, telemetry.StartSequence()), CancellationToken.None);
        }

        _completion = CompleteAfter(producers);
    }

    public ChannelReader<SequenceEvent> Events => _events.Reader;

    /// <summary>Why generation failed, once <see cref="Events"/> has completed; null when it did not (or was only cancelled).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public static SequenceFanOut Start(IGenerationBackend backend, IReadOnlyList<SequencePlan> plans, RequestTelemetry telemetry, CancellationToken requestAborted) =>
        new(backend, plans, telemetry, requestAborted);

    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync().ConfigureAwait(false);
        await _completion.ConfigureAwait(false);
        _cancel.Dispose();
    }

    private async Task ProduceAsync(IGenerationBackend backend, SequencePlan plan, SequenceTelemetry telemetry)
    {
        try
        {
            await foreach (var update in backend.GenerateAsync(plan.Prompt, plan.Sampling, _cancel.Token).ConfigureAwait(false))
            {
                telemetry.OnUpdate(update);
                _events.Writer.TryWrite(new SequenceEvent(plan.Index, update));
            }
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            telemetry.OnStopped(cancelled: true);
        }
#pragma warning disable CA1031 // Any fault of one sequence must end the request with an answer, not crash the host.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            telemetry.OnStopped(cancelled: ex is OperationCanceledException);
            Interlocked.CompareExchange(ref _failure, ex, null);
            await _cancel.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task CompleteAfter(Task[] producers)
    {
        await Task.WhenAll(producers).ConfigureAwait(false);
        _events.Writer.TryComplete();
    }
}
