using Elastic.Inference.Modeling;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class ThreadCountSettingTests
{
    [Fact]
    public void EnsureConfigured_AfterAnExplicitCount_KeepsIt()
    {
        var applied = new List<(int Threads, bool First)>();
        var setting = new ThreadCountSetting((threads, first) => applied.Add((threads, first)));

        setting.Configure(1);
        setting.EnsureConfigured(2);

        Assert.Equal(1, setting.Threads);
        Assert.Equal([(1, true)], applied);
    }

    [Fact]
    public void Configure_AfterTheDefault_Replaces()
    {
        var applied = new List<(int Threads, bool First)>();
        var setting = new ThreadCountSetting((threads, first) => applied.Add((threads, first)));

        setting.EnsureConfigured(2);
        setting.Configure(1);
        setting.Configure(1);

        Assert.Equal(1, setting.Threads);
        Assert.Equal([(2, true), (1, false)], applied);
    }

    [Fact]
    public async Task EnsureConfigured_WhileAnExplicitCountIsBeingApplied_DoesNotOverrideIt()
    {
        // The race a worker had: its host applied --threads 1 while its expert shards loaded the model, whose default
        // check (made outside the lock) had already seen "nothing configured" and then applied 2 after the host.
        using var applying = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var applied = new List<int>();
        var setting = new ThreadCountSetting((threads, _) =>
        {
            applied.Add(threads);
            if (threads == 1)
            {
                applying.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }
        });

        var host = Task.Run(() => setting.Configure(1));
        Assert.True(applying.Wait(TimeSpan.FromSeconds(10)));
        var model = Task.Run(() => setting.EnsureConfigured(2));
        await Task.Delay(100);
        release.Set();
        await Task.WhenAll(host, model);

        Assert.Equal(1, setting.Threads);
        Assert.Equal([1], applied);
    }

    [Fact]
    public void Configure_ZeroThreads_IsRefusedByName()
    {
        var setting = new ThreadCountSetting((_, _) => { });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => setting.Configure(0));

        Assert.Equal("threads", error.ParamName);
        Assert.Equal(0, setting.Threads);
    }
}
