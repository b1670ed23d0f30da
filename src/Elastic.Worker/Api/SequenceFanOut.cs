using System.Threading.Channels;
using Elastic.Inference.Generation;

namespace Elastic.Worker.Api;

/// <summary>One update of one choice.</summary>
internal readonly record struct SequenceEvent(int Index, GenerationUpdate Update);

/// <summary>
/// Runs a request's sequences and yields their updates in arrival order. One sequence (the usual n = 1) is read
/// straight from the backend on the reader's own turn, so a token reaches the response with no hop beyond the
/// engine's hand-off; several are read concurrently and merged through a channel. The first failure cancels the
/// siblings (so a refused n=2 request holds no cache), and so does the client going away.
/// </summary>
internal sealed class SequenceFanOut : IAsyncDisposable
{
    private readonly IGenerationBackend _backend;
    private readonly IReadOnlyList<SequencePlan> _plans;
    private readonly RequestTelemetry _telemetry;
    private readonly CancellationTokenSource _cancel;
    private Task _merging = Task.CompletedTask;
    private Exception? _failure;

    private SequenceFanOut(IGenerationBackend backend, IReadOnlyList<SequencePlan> plans, RequestTelemetry telemetry, CancellationToken requestAborted)
    {
        _backend = backend;
        _plans = plans;
        _telemetry = telemetry;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    }

    /// <summary>Why generation failed, once <see cref="ReadAllAsync"/> has ended; null when it did not (or was only cancelled).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public static SequenceFanOut Open(IGenerationBackend backend, IReadOnlyList<SequencePlan> plans, RequestTelemetry telemetry, CancellationToken requestAborted) =>
        new(backend, plans, telemetry, requestAborted);

    /// <summary>Every update of every sequence, to the end; read it once.</summary>
    public IAsyncEnumerable<SequenceEvent> ReadAllAsync() => _plans.Count == 1 ? ReadAsync(_plans[0]) : MergeAsync();

    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync().ConfigureAwait(false);
        await _merging.ConfigureAwait(false);
        _cancel.Dispose();
    }

    private async IAsyncEnumerable<SequenceEvent> MergeAsync()
    {
        var merged = Channel.CreateUnbounded<SequenceEvent>(new UnboundedChannelOptions { SingleReader = true });
        var producers = _plans.Select(plan => Task.Run(() => CopyAsync(ReadAsync(plan), merged.Writer), CancellationToken.None)).ToArray();
        _merging = CompleteAfterAsync(producers, merged.Writer);
        await foreach (var item in merged.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private async IAsyncEnumerable<SequenceEvent> ReadAsync(SequencePlan plan)
    {
        var telemetry = _telemetry.StartSequence();
        var updates = _backend.GenerateAsync(plan.Prompt, plan.Sampling, _cancel.Token).GetAsyncEnumerator();
        var ended = false;
        try
        {
            while (await MoveNextAsync(updates, telemetry).ConfigureAwait(false))
            {
                telemetry.OnUpdate(updates.Current);
                yield return new SequenceEvent(plan.Index, updates.Current);
            }

            ended = true;
        }
        finally
        {
            if (!ended)
            {
                // The reader stopped early (its own failure, or the response could not be written).
                telemetry.OnStopped(cancelled: true);
            }

            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The sequence's next update; false at its end, when it was cancelled, or when it failed (recorded in <see cref="Failure"/>).</summary>
    private async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<GenerationUpdate> updates, SequenceTelemetry telemetry)
    {
        try
        {
            return await updates.MoveNextAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            telemetry.OnStopped(cancelled: true, siblingFailed: Failure is not null);
            return false;
        }
#pragma warning disable CA1031 // Any fault of one sequence must end the request with an answer, not crash the host.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            telemetry.OnStopped(cancelled: ex is OperationCanceledException);
            Interlocked.CompareExchange(ref _failure, ex, null);
            await _cancel.CancelAsync().ConfigureAwait(false);
            return false;
        }
    }

    private static async Task CopyAsync(IAsyncEnumerable<SequenceEvent> events, ChannelWriter<SequenceEvent> writer)
    {
        await foreach (var item in events.ConfigureAwait(false))
        {
            writer.TryWrite(item);
        }
    }

    private static async Task CompleteAfterAsync(Task[] producers, ChannelWriter<SequenceEvent> writer)
    {
        try
        {
            await Task.WhenAll(producers).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }
}
