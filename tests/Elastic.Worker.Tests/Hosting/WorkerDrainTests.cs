using Elastic.Worker.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Elastic.Worker.Tests.Hosting;

/// <summary>
/// The drain runs on a fake clock: what is asserted is when it may end in the drain's own time, which a loaded
/// machine cannot shift (CI once failed the wall-clock version of the first test when a delay overslept).
/// </summary>
[Trait("Category", "Unit")]
public sealed class WorkerDrainTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Stopping_RequestArrivesAfterTheOthersEnded_DrainWaitsForItAndAQuietGraceAfter()
    {
        var time = new FakeTimeProvider();
        var drain = NewDrain(time, TimeSpan.FromHours(1));
        var first = new TaskCompletionSource();
        var firstTracked = drain.TrackAsync(new DefaultHttpContext(), _ => first.Task);
        var stopping = drain.StoppingAsync(CancellationToken.None);
        Assert.True(drain.IsDraining);

        await AdvanceAsync(time, TimeSpan.FromMilliseconds(300));
        first.SetResult();
        await firstTracked;

        // A request routed by a gateway whose view is a poll old: it arrives after the first ended, inside the grace.
        await AdvanceAsync(time, TimeSpan.FromMilliseconds(800));
        Assert.False(stopping.IsCompleted, "the drain ended before its routing grace");
        var late = new TaskCompletionSource();
        var lateTracked = drain.TrackAsync(new DefaultHttpContext(), _ => late.Task);
        Assert.Equal(1, drain.InFlight);

        await AdvanceAsync(time, TimeSpan.FromMilliseconds(700));
        Assert.False(stopping.IsCompleted, "the drain ended with a request in flight");
        late.SetResult();
        await lateTracked;
        var lateEnded = time.GetTimestamp();

        await AdvanceAsync(time, WorkerDrain.RoutingGrace - Step);
        Assert.False(stopping.IsCompleted, "the drain ended inside the routing grace after the late request");

        await AdvanceUntilAsync(time, stopping);
        Assert.Equal(0, drain.InFlight);
        Assert.InRange(time.GetElapsedTime(lateEnded), WorkerDrain.RoutingGrace, TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Stopping_RequestNeverEnds_StopsAtTheDrainTimeout()
    {
        var time = new FakeTimeProvider();
        var drain = NewDrain(time, TimeSpan.FromSeconds(2));
        var stuck = new TaskCompletionSource();
        var stuckTracked = drain.TrackAsync(new DefaultHttpContext(), _ => stuck.Task);
        var started = time.GetTimestamp();
        var stopping = drain.StoppingAsync(CancellationToken.None);

        await AdvanceAsync(time, TimeSpan.FromSeconds(2) - Step);
        Assert.False(stopping.IsCompleted, "the drain gave up before its timeout");

        await AdvanceUntilAsync(time, stopping);
        Assert.True(time.GetElapsedTime(started) >= TimeSpan.FromSeconds(2));
        Assert.Equal(1, drain.InFlight);
        stuck.SetResult();
        await stuckTracked;
        Assert.Equal(0, drain.InFlight);
    }

    [Fact]
    public async Task Stopping_NothingInFlight_EndsAfterOneRoutingGrace()
    {
        var time = new FakeTimeProvider();
        var drain = NewDrain(time, TimeSpan.FromHours(1));
        var started = time.GetTimestamp();
        var stopping = drain.StoppingAsync(CancellationToken.None);

        await AdvanceAsync(time, WorkerDrain.RoutingGrace - Step);
        Assert.False(stopping.IsCompleted, "an idle worker must still accept requests routed before it drained");

        await AdvanceUntilAsync(time, stopping);
        Assert.InRange(time.GetElapsedTime(started), WorkerDrain.RoutingGrace, TimeSpan.FromMinutes(5));
    }

    private static WorkerDrain NewDrain(TimeProvider time, TimeSpan drainTimeout) =>
        new(Options.Create(new WorkerOptions { DrainTimeout = drainTimeout }), time, NullLogger<WorkerDrain>.Instance);

    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += Step)
        {
            time.Advance(Step);
            await Task.Delay(1);
        }
    }

    /// <summary>Moves the fake clock a step at a time until <paramref name="task"/> ends (real time bound: 30 s).</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Task task)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(Step);
            await Task.WhenAny(task, Task.Delay(10));
        }

        await task.WaitAsync(TimeSpan.FromSeconds(1));
    }
}
