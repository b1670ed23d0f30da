using System.Diagnostics;
using Elastic.Inference.Configuration;
using Elastic.Inference.Engine;
using Elastic.Inference.Tests.Modeling;
using static Elastic.Inference.Tests.Engine.EngineTestHarness;

namespace Elastic.Inference.Tests.Engine;

/// <summary>Process-wide RSS is only meaningful when no other test allocates at the same time.</summary>
[CollectionDefinition(nameof(MemoryStabilityTests), DisableParallelization = true)]
public sealed class MemoryMeasurementGroup;

[Trait("Category", "Integration")]
[Collection(nameof(MemoryStabilityTests))]
public sealed class MemoryStabilityTests
{
    [Fact]
    public void Generate_ThousandRequests_ResidentMemoryStaysFlat()
    {
        using var tiny = new TinyModel(ModelFamily.Mixtral);
        using var engine = new InferenceEngine(tiny.Model.Transformer, tiny.Model.Experts, new EngineOptions { KvCacheBytes = 16L << 20 });
        void Generate(int count, int seedBase)
        {
            // Pairs of sequences of different lengths and 12 tokens each: ~12 steps per pair, ~3,000 steps per 500.
            for (var i = 0; i < count; i += 2)
            {
                for (var j = 0; j < 2; j++)
                {
                    engine.Submit(Request(tiny.RandomTokens(3 + ((i + j) % 9), seedBase + i + j), maxTokens: 12, temperature: 0.8f, seed: i + j));
                }

                RunToCompletion(engine);
            }
        }

        Generate(200, 0); // warm-up: allocator pools, JIT, libtorch caches
        var start = SettledRss();
        Generate(500, 10_000);
        var middle = SettledRss();
        Generate(500, 20_000);
        var end = SettledRss();

        Assert.Equal(0, engine.KvCache.AllocatedBytes);
        Assert.Equal(0, engine.KvCache.ReservedTokens);

        // A leak grows with every step, so it shows in the second half as much as in the first; an allocator
        // or runtime step-change after warm-up (seen once at +11 MB when other tests had run in this process)
        // does not repeat. 2 KB leaked per step (~3,000 steps per half) exceeds the bound: checked by injecting one.
        var secondHalf = end - middle;
        Assert.True(secondHalf < 4L << 20, $"RSS grew by {secondHalf / 1e6:F1} MB over the second 500 generations ({middle / 1e6:F1} → {end / 1e6:F1} MB; {start / 1e6:F1} MB after warm-up)");
        Assert.True(end - start < 16L << 20, $"RSS grew by {(end - start) / 1e6:F1} MB over 1,000 generations ({start / 1e6:F1} → {end / 1e6:F1} MB)");
    }

    private static long SettledRss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
