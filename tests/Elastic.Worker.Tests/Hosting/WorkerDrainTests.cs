using System.Diagnostics;
using Elastic.Worker.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Tests.Hosting;

[Trait("Category", "Unit")]
public sealed class WorkerDrainTests
{
    [Fact]
    public async Task Stopping_RequestArrivesAfterTheOthersEnded_DrainWaitsForItAndAQuietGraceAfter()
    {
        var drain = new WorkerDrain(Options.Create(new WorkerOptions { DrainTimeout = TimeSpan.FromSeconds(20) }), TimeProvider.System, NullLogger<WorkerDrain>.Instance);
        var clock = Stopwatch.StartNew();
        var first = drain.TrackAsync(new DefaultHttpContext(), _ => Task.Delay(300));
        var stopping = drain.StoppingAsync(CancellationToken.None);

        // A request routed by a gateway whose view is a poll old: it arrives after the first ended, inside the grace.
        await Task.Delay(800);
        Assert.True(drain.IsDraining);
        Assert.False(stopping.IsCompleted, "the drain ended before its routing grace");
        var late = drain.TrackAsync(new DefaultHttpContext(), _ => Task.Delay(700));
        await first;
        await late;
        var lateEnded = clock.Elapsed;
        await stopping;

        Assert.Equal(0, drain.InFlight);
        Assert.True(clock.Elapsed - lateEnded >= WorkerDrain.RoutingGrace - TimeSpan.FromMilliseconds(100),
            $"the drain ended {(clock.Elapsed - lateEnded).TotalMilliseconds:F0} ms after the late request; it should wait a routing grace");
    }

    [Fact]
    public async Task Stopping_RequestNeverEnds_StopsAtTheDrainTimeout()
    {
        var drain = new WorkerDrain(Options.Create(new WorkerOptions { DrainTimeout = TimeSpan.FromSeconds(2) }), TimeProvider.System, NullLogger<WorkerDrain>.Instance);
        using var release = new CancellationTokenSource();
        var stuck = drain.TrackAsync(new DefaultHttpContext(), _ => Task.Delay(Timeout.Infinite, release.Token));
        var clock = Stopwatch.StartNew();

        await drain.StoppingAsync(CancellationToken.None);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(15));
        Assert.Equal(1, drain.InFlight);
        await release.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stuck);
    }
}
