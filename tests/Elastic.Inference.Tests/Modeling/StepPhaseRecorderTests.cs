using System.Diagnostics;
using Elastic.Inference.Configuration;
using Elastic.Inference.Engine;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.Engine;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class StepPhaseRecorderTests
{
    [Fact]
    public void Recorder_DecodeSteps_CountsEachForward_AndItsPhasesFitInTheStepsTime()
    {
        using var tiny = new TinyModel(ModelFamily.Qwen3Moe);
        using var engine = new InferenceEngine(tiny.Model.Transformer, tiny.Model.Experts, new EngineOptions { KvCacheBytes = 16L << 20 });
        engine.Submit(EngineTestHarness.Request(tiny.RandomTokens(5, seed: 1), maxTokens: 6));
        engine.Submit(EngineTestHarness.Request(tiny.RandomTokens(3, seed: 2), maxTokens: 6));
        engine.Step(); // the prefill, outside the recording

        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<StepPhase, TimeSpan> perStep;
        int steps;
        using (var recorder = StepPhaseRecorder.Start())
        {
            Assert.Throws<InvalidOperationException>(StepPhaseRecorder.Start);
            EngineTestHarness.RunToCompletion(engine);
            steps = recorder.Steps;
            perStep = recorder.PerStep();
        }

        var elapsed = clock.Elapsed;
        Assert.Equal(5, steps);
        Assert.Equal(Enum.GetValues<StepPhase>().Length, perStep.Count);
        foreach (var phase in new[] { StepPhase.QkvProjection, StepPhase.Attention, StepPhase.Routing, StepPhase.FeedForward, StepPhase.Logits, StepPhase.Sampling })
        {
            Assert.True(perStep[phase] > TimeSpan.Zero, $"{phase} took no time");
        }

        Assert.True(perStep.Values.Sum(t => t.Ticks) * steps <= elapsed.Ticks, "the phases add up to more than the steps took");

        // Closed: steps no longer count, and a new recorder may open on this thread.
        using var next = StepPhaseRecorder.Start();
        Assert.Equal(0, next.Steps);
        Assert.All(next.PerStep().Values, t => Assert.Equal(TimeSpan.Zero, t));
    }
}
