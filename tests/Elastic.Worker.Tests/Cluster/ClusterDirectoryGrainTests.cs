using System.Diagnostics;
using Elastic.Abstractions.Grains;
using Elastic.Worker.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;

namespace Elastic.Worker.Tests.Cluster;

[Trait("Category", "Integration")]
public sealed class ClusterDirectoryGrainTests
{
    [Fact]
    public async Task WatchAsync_HostBeginsStopping_AWaitingPollIsAnsweredAtOnce_AndLaterPollsWaitASecondAtMost()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddRolePlacement(WorkerRole.Decode));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var services = cluster.Silos[0].ServiceProvider;
        // Called from inside the silo, as the all-in-one's gateway does: the stateless activation is this silo's.
        var directory = services.GetRequiredService<IGrainFactory>().GetGrain<IClusterDirectoryGrain>(0);
        var known = await SettledVersionAsync(directory);

        var waiting = directory.WatchAsync(known, TimeSpan.FromSeconds(20));
        services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // Without the stopping token the poll would wait its full 20 s (and hold a stopping silo that long).
        var answer = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(known, answer.Version);

        var clock = Stopwatch.StartNew();
        var later = await directory.WatchAsync(known, TimeSpan.FromSeconds(20)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(known, later.Version);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"a poll during shutdown returned after {clock.Elapsed.TotalMilliseconds:F0} ms: watchers would spin");
    }

    [Fact]
    public async Task WatchAsync_NothingChanges_AnswersTheKnownVersionAfterTheWait_WithoutThrowingInside()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddRolePlacement(WorkerRole.Decode));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var directory = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IClusterDirectoryGrain>(0);
        var known = await SettledVersionAsync(directory);

        // An unchanged long poll is the usual answer (every 10 s per gateway); it used to surface as a TimeoutException.
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.StackTrace.Contains(nameof(Elastic.Worker.Cluster.ClusterMembers.WaitForChangeAsync), StringComparison.Ordinal))
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            var clock = Stopwatch.StartNew();
            var answer = await directory.WatchAsync(known, TimeSpan.FromMilliseconds(300)).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(known, answer.Version);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"an unchanged poll returned after {clock.Elapsed.TotalMilliseconds:F0} ms");
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, thrown);
    }

    /// <summary>The directory's version once a second passes without a change (the silo's own join settles first).</summary>
    private static async Task<long> SettledVersionAsync(IClusterDirectoryGrain directory)
    {
        var known = (await directory.WatchAsync(-1, TimeSpan.Zero)).Version;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var next = (await directory.WatchAsync(known, TimeSpan.FromSeconds(1))).Version;
            if (next == known)
            {
                return known;
            }

            known = next;
        }

        throw new InvalidOperationException("the cluster directory kept changing for 30 polls");
    }
}
