using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Engine;

[Trait("Category", "Integration")]
public sealed class EngineLoopPhaseLogTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProgressReports_LogTheStepPhases_OnlyWhenAsked(bool logStepPhases)
    {
        using var directory = new TempDirectory("elastic-served");
        using var served = ServedModel.Load(TinyServedCheckpoint.Write(directory.Path));
        var logger = new CapturingLogger();
        // A report after every step, so a short generation logs several.
        await using (var loop = new EngineLoop(served.CreateEngine(new EngineOptions { KvCacheBytes = 32L << 20 }), logger, logStepPhases, TimeSpan.Zero))
        {
            var generator = new TextGenerator(served, loop);
            await foreach (var _ in generator.GenerateAsync(served.Tokenizer.Encode("hello", true), new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true }))
            {
            }
        }

        var progress = logger.Entries.Count(e => e.EventId == 1101);
        var phases = logger.Entries.Where(e => e.EventId == 1102).Select(e => e.Message).ToList();
        Assert.True(progress >= 8, $"{progress} progress reports for 8 steps");
        if (!logStepPhases)
        {
            Assert.Empty(phases);
            return;
        }

        // One report per loop iteration; an iteration whose step ran no forward pass logs no phases.
        Assert.InRange(phases.Count, 8, progress);
        Assert.All(phases, message =>
        {
            Assert.StartsWith("Engine step phases, mean µs per step over the last 1 steps: Prepare ", message, StringComparison.Ordinal);
            Assert.Contains(", Attention ", message, StringComparison.Ordinal);
            Assert.Contains(", FeedForward ", message, StringComparison.Ordinal);
            Assert.Contains(", Sampling ", message, StringComparison.Ordinal);
        });
    }
}
