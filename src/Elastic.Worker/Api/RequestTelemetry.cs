using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Worker.Metrics;

namespace Elastic.Worker.Api;

/// <summary>Times one HTTP request's sequences into <see cref="ServingMetrics"/>; a no-op when the host registered none.</summary>
internal sealed class RequestTelemetry(ServingMetrics? metrics, TimeProvider time, long arrivedAt)
{
    public SequenceTelemetry StartSequence() => new(metrics, time, arrivedAt);
}

/// <summary>
/// One sequence's clock: TTFT and end-to-end from the request's arrival at the endpoint, inter-token gaps as they
/// stream, and queue time as the engine measured it (accepted → first admitted to the running batch), as vLLM's.
/// </summary>
internal sealed class SequenceTelemetry(ServingMetrics? metrics, TimeProvider time, long arrivedAt)
{
    private long _lastTokenAt;
    private bool _started;
    private bool _ended;
    private int _outputTokens;

    public void OnUpdate(GenerationUpdate update)
    {
        if (metrics is null)
        {
            return;
        }

        var now = time.GetTimestamp();
        if (!_started)
        {
            _started = true;
            var firstOutput = time.GetElapsedTime(arrivedAt, now);
            metrics.RecordTimeToFirstToken(firstOutput);
            metrics.RecordQueueTime(update.QueueTime);
            metrics.RecordPromptTokens(update.PromptTokens);
        }
        else
        {
            metrics.RecordInterTokenLatency(time.GetElapsedTime(_lastTokenAt, now));
        }

        _lastTokenAt = now;
        _outputTokens = Math.Max(_outputTokens, update.OutputTokens);
        if (update.Finish is { } finish)
        {
            End(FinishReasons.ToOpenAi(finish));
            metrics.RecordEndToEndLatency(time.GetElapsedTime(arrivedAt, now));
        }
    }

    /// <summary>
    /// The sequence ended without a finish reason: cancelled (the client gone: an abort) or failed. A sequence cancelled
    /// because a sibling of its request failed counts its tokens but no status of its own: the request's failure is
    /// recorded once, under its HTTP status, not as n − 1 client aborts besides.
    /// </summary>
    public void OnStopped(bool cancelled, bool siblingFailed = false)
    {
        if (cancelled)
        {
            End(siblingFailed ? null : FinishReasons.Abort);
        }
    }

    private void End(string? status)
    {
        if (_ended || metrics is null)
        {
            return;
        }

        _ended = true;
        metrics.RecordGenerationTokens(_outputTokens);
        if (status is not null)
        {
            metrics.RecordRequest(status);
        }
    }
}
