using System.Globalization;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Modeling;

/// <summary>
/// The nice value is process-wide: these tests run apart from the others (engine threads another test starts meanwhile
/// would only run at a lower priority, but they must not see each other's setting).
/// </summary>
[CollectionDefinition(nameof(ComputeThreadPriorityTests), DisableParallelization = true)]
public sealed class ComputeThreadPriorityGroup;

[Trait("Category", "Unit")]
[Collection(nameof(ComputeThreadPriorityTests))]
public sealed class ComputeThreadPriorityTests
{
    [Fact]
    public void Configure_RaisingNice_AppliesToThreadsStartedAfterIt()
    {
        // Raising a nice value needs no privilege, so this runs anywhere (lowering it needs CAP_SYS_NICE).
        try
        {
            Assert.Null(ComputeThreadPriority.Configure(3));
            Assert.Equal(3, ComputeThreadPriority.Nice);

            var seen = int.MinValue;
            var thread = new Thread(() =>
            {
                ComputeThreadPriority.ApplyToCurrentThread();
                seen = ComputeThreadPriority.CurrentThreadNice();
            });
            thread.Start();
            thread.Join();

            Assert.Equal(OperatingSystem.IsLinux() ? 3 : 0, seen);
            Assert.Equal(0, ComputeThreadPriority.CurrentThreadNice());
        }
        finally
        {
            ComputeThreadPriority.Configure(0);
        }
    }

    [Fact]
    public async Task EngineLoop_StartedAfterConfigure_RunsItsThreadAtThatNice()
    {
        using var directory = new TempDirectory("elastic-nice");
        using var served = ServedModel.Load(TinyServedCheckpoint.Write(directory.Path));
        try
        {
            ComputeThreadPriority.Configure(4);
            await using var loop = new EngineLoop(served.CreateEngine(new EngineOptions { KvCacheBytes = 16L << 20 }));

            // /proc/self/task/<tid>/stat: field 19 is the nice value; the thread's name is in comm.
            var engineThreads = Directory.GetDirectories("/proc/self/task")
                .Where(t => File.ReadAllText(Path.Combine(t, "comm")).Trim() == "elastic-engine")
                .Select(t => File.ReadAllText(Path.Combine(t, "stat")))
                .Select(stat => int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], CultureInfo.InvariantCulture))
                .ToList();

            Assert.Contains(4, engineThreads);
        }
        finally
        {
            ComputeThreadPriority.Configure(0);
        }
    }

    [Theory]
    [InlineData(-21)]
    [InlineData(20)]
    public void Configure_OutOfRange_Throws(int nice)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputeThreadPriority.Configure(nice));
    }
}
