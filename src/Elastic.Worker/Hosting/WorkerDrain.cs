using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>
/// Graceful stop of a worker: before anything stops it turns the worker to draining (/readyz 503, /load reports
/// <c>draining</c>, so gateways stop routing to it) and waits until its in-flight API requests have finished and none
/// has come or gone for <see cref="RoutingGrace"/>, at most <see cref="WorkerOptions.DrainTimeout"/>. Only then do
/// Kestrel and the silo stop.
/// </summary>
public sealed partial class WorkerDrain(IOptions<WorkerOptions> options, TimeProvider time, ILogger<WorkerDrain> logger) : IHostedLifecycleService
{
    /// <summary>How long a draining worker keeps accepting requests that gateways routed before they saw it drain.</summary>
    public static readonly TimeSpan RoutingGrace = TimeSpan.FromSeconds(1);

    private int _inFlight;
    private long _lastActivity;
    private volatile bool _draining;

    /// <summary>True once the worker began stopping.</summary>
    public bool IsDraining => _draining;

    /// <summary>API requests being served now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts an API request for its whole life (streams included).</summary>
    public async Task TrackAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Interlocked.Increment(ref _inFlight);
        Volatile.Write(ref _lastActivity, time.GetTimestamp());
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _lastActivity, time.GetTimestamp());
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var timeout = options.Value.DrainTimeout;
        var started = time.GetTimestamp();
        LogDraining(logger, InFlight, timeout.TotalSeconds);
        try
        {
            // Done when nothing is in flight and nothing arrived or ended for a routing grace: a gateway whose view is a
            // poll old may still send a request after the last one here ended, and it must not meet a stopping engine.
            for (var elapsed = TimeSpan.Zero; elapsed < timeout && !IsQuiet(elapsed); elapsed = time.GetElapsedTime(started))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first.
        }

        var seconds = time.GetElapsedTime(started).TotalSeconds;
        if (InFlight > 0)
        {
            LogDrainTimedOut(logger, InFlight, seconds);
        }
        else
        {
            LogDrained(logger, seconds);
        }
    }

    private bool IsQuiet(TimeSpan sinceDrainBegan) =>
        sinceDrainBegan >= RoutingGrace && InFlight == 0 && time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= RoutingGrace;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2280, Level = LogLevel.Information, Message = "Draining: {InFlight} requests in flight; waiting up to {Seconds:F0} s before stopping")]
    private static partial void LogDraining(ILogger logger, int inFlight, double seconds);

    [LoggerMessage(EventId = 2281, Level = LogLevel.Information, Message = "Drained after {Seconds:F1} s")]
    private static partial void LogDrained(ILogger logger, double seconds);

    [LoggerMessage(EventId = 2282, Level = LogLevel.Warning, Message = "Drain timed out after {Seconds:F1} s with {InFlight} requests still in flight; stopping anyway")]
    private static partial void LogDrainTimedOut(ILogger logger, int inFlight, double seconds);
}
