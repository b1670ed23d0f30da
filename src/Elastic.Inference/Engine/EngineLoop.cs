using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elastic.Inference.Engine;

/// <summary>
/// Drives an <see cref="InferenceEngine"/> on one dedicated compute thread (TorchSharp dispose scopes
/// are thread-static, and a long step must not block a thread pool or grain scheduler thread) and
/// streams each sequence's tokens to its caller as they are produced.
/// </summary>
public sealed partial class EngineLoop : IAsyncDisposable
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);
    private readonly InferenceEngine _engine;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, Channel<SequenceOutput>> _streams = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly bool _logStepPhases;
    private readonly TimeSpan _reportEvery;

    /// <param name="engine">The engine this loop drives and owns.</param>
    /// <param name="logger">Progress and failures.</param>
    /// <param name="logStepPhases">
    /// Also time each step's phases (<see cref="Modeling.StepPhaseRecorder"/>) and log their means with every progress
    /// report: where a served step's time goes, for operators (~1 µs a step).
    /// </param>
    public EngineLoop(InferenceEngine engine, ILogger? logger = null, bool logStepPhases = false)
        : this(engine, logger, logStepPhases, ReportEvery)
    {
    }

    internal EngineLoop(InferenceEngine engine, ILogger? logger, bool logStepPhases, TimeSpan reportEvery)
    {
        _engine = engine;
        _logger = logger ?? NullLogger.Instance;
        _logStepPhases = logStepPhases;
        _reportEvery = reportEvery;
        _thread = new Thread(Run) { IsBackground = true, Name = "elastic-engine" };
        _thread.Start();
    }

    public InferenceEngine Engine => _engine;

    /// <summary>
    /// Submits a request; the returned reader yields its outputs and completes after the last one.
    /// Cancelling <paramref name="cancellationToken"/> aborts the sequence and frees its KV cache within one step.
    /// </summary>
    public ChannelReader<SequenceOutput> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        var channel = Channel.CreateUnbounded<SequenceOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var id = _engine.Submit(request, accepted => _streams[accepted] = channel);
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                _engine.Abort(id);
                Wake();
            });
            _ = channel.Reader.Completion.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }

        _wake.Release();
        return channel.Reader;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _wake.Release();
        await _stopped.Task.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Run()
    {
        Modeling.ComputeThreadPriority.ApplyToCurrentThread();
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var lastTokens = 0L;
        var phases = _logStepPhases ? Modeling.StepPhaseRecorder.Start() : null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (!_engine.HasWork)
                {
                    _wake.Wait(TimeSpan.FromSeconds(1));
                    continue;
                }

                IReadOnlyList<SequenceOutput> outputs;
                try
                {
                    outputs = _engine.Step();
                }
                catch (StepFailedException ex)
                {
                    LogStepFailed(_logger, ex.FailedSequences.Count, ex.InnerException ?? ex);
                    foreach (var output in ex.Outputs)
                    {
                        Deliver(output);
                    }

                    Fail(ex.FailedSequences, ex.InnerException ?? ex);
                    continue;
                }
                catch (Exception ex)
                {
                    // Outside a forward pass (scheduling, hand-over import): which sequences it touched is unknown.
                    LogStepFailed(_logger, _streams.Count, ex);
                    Fail([.. _streams.Keys], ex);
                    continue;
                }

                foreach (var output in outputs)
                {
                    Deliver(output);
                }

                if (clock.Elapsed - lastReport >= _reportEvery)
                {
                    var stats = _engine.Stats;
                    var seconds = (clock.Elapsed - lastReport).TotalSeconds;
                    var rate = (stats.GeneratedTokens - lastTokens) / seconds;
                    LogProgress(_logger, stats.Running, stats.Waiting, rate, stats.KvCacheUsage * 100);
                    if (phases is { Steps: > 0 })
                    {
                        // A report after steps that ran no forward pass (only admissions or ends) has nothing to add.
                        LogStepPhases(_logger, phases.Steps, phases);
                        phases.Dispose();
                        phases = Modeling.StepPhaseRecorder.Start();
                    }

                    lastReport = clock.Elapsed;
                    lastTokens = stats.GeneratedTokens;
                }
            }
        }
        finally
        {
            phases?.Dispose();
            _engine.Dispose();
            foreach (var (_, channel) in _streams)
            {
                channel.Writer.TryComplete(new OperationCanceledException("the engine stopped"));
            }

            _streams.Clear();
            _stopped.TrySetResult();
        }
    }

    // A cancellation can arrive after the loop was disposed (its reader's cleanup runs late): nothing is left to wake,
    // and the caller must see the engine's own "stopped" error, not this one.
    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Deliver(SequenceOutput output)
    {
        if (!_streams.TryGetValue(output.SequenceId, out var channel))
        {
            return;
        }

        if (output.Finish == FinishReason.Abort)
        {
            _streams.TryRemove(output.SequenceId, out _);
            channel.Writer.TryComplete(new OperationCanceledException("the request was cancelled"));
            return;
        }

        channel.Writer.TryWrite(output);
        if (output.IsFinished)
        {
            _streams.TryRemove(output.SequenceId, out _);
            channel.Writer.TryComplete();
        }
    }

    // Each stream is taken out on its own, so a request submitted meanwhile is neither failed nor dropped.
    private void Fail(IEnumerable<long> sequences, Exception ex)
    {
        foreach (var id in sequences)
        {
            _engine.Abort(id);
            if (_streams.TryRemove(id, out var channel))
            {
                channel.Writer.TryComplete(new InvalidOperationException("the forward step failed; the request was ended", ex));
            }
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "Forward step failed; ending the {Count} requests it was running")]
    private static partial void LogStepFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Engine: {Running} running, {Waiting} waiting, {TokensPerSecond:F1} generated tokens/s, KV cache {KvPercent:F1}% reserved")]
    private static partial void LogProgress(ILogger logger, int running, int waiting, double tokensPerSecond, double kvPercent);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Engine step phases, mean µs per step over the last {Steps} steps: {Phases}")]
    private static partial void LogStepPhases(ILogger logger, int steps, Modeling.StepPhaseRecorder phases);
}
