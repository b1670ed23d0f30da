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
            for (var i = 0; i < count; i += 8)
            {
                for (var j = 0; j < 8; j++)
                {
                    engine.Submit(Request(tiny.RandomTokens(3 + ((i + j) % 9), seedBase + i + j), maxTokens: 4, temperature: 0.8f, seed: i + j));
                }

                RunToCompletion(engine);
            }
        }

        Generate(200, 0); // warm-up: allocator pools, JIT, libtorch caches
        var before = SettledRss();
        Generate(1000, 10_000);
        var after = SettledRss();

        Assert.Equal(0, engine.KvCache.AllocatedBytes);
        Assert.Equal(0, engine.KvCache.ReservedTokens);
        // A leak of even one small tensor per step (~1 KB × 5,000 steps) would exceed this.
        Assert.True(after - before < 8L << 20, $"RSS grew by {(after - before) / 1e6:F1} MB over 1,000 generations ({before / 1e6:F1} → {after / 1e6:F1} MB)");
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
