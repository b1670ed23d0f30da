using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tests.TestCheckpoints;
using TorchSharp;

namespace Elastic.Inference.Tests.Engine;

[Trait("Category", "Integration")]
public sealed class EngineLoopFailureTests
{
    [Fact]
    public async Task FailedStep_EndsOnlyTheRequestsItWasRunning_TheWaitingOneStillCompletes()
    {
        using var directory = new TempDirectory("elastic-served");
        using var served = ServedModel.Load(TinyServedCheckpoint.Write(directory.Path));
        var experts = new FailOnce(served.Model.Experts);
        // One running sequence at a time: the second request waits while the first one's step fails.
        var engine = new InferenceEngine(served.Model.Transformer, experts, new EngineOptions { KvCacheBytes = 32L << 20, MaxRunningSequences = 1, EosTokenIds = served.EosTokenIds });
        var logger = new CapturingLogger();
        await using var loop = new EngineLoop(engine, logger);
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 6, IgnoreEos = true };

        var first = loop.Submit(new GenerationRequest(served.Tokenizer.Encode("hello", true), sampling));
        var second = loop.Submit(new GenerationRequest(served.Tokenizer.Encode("world", true), sampling));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in first.ReadAllAsync())
            {
            }
        });
        Assert.Contains("forward step failed", failure.Message, StringComparison.Ordinal);
        var outputs = new List<SequenceOutput>();
        await foreach (var output in second.ReadAllAsync())
        {
            outputs.Add(output);
        }

        Assert.Equal(6, outputs.Count);
        Assert.Equal(FinishReason.Length, outputs[^1].Finish);
        Assert.Equal(0, engine.KvCache.ReservedTokens);
        Assert.Contains(logger.Entries, e => e.EventId == 1100 && e.Message.Contains("ending the 1 requests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CancellingAfterTheLoopStopped_DoesNotThrow()
    {
        using var directory = new TempDirectory("elastic-served");
        using var served = ServedModel.Load(TinyServedCheckpoint.Write(directory.Path));
        using var cancel = new CancellationTokenSource();
        var loop = new EngineLoop(served.CreateEngine(new EngineOptions { KvCacheBytes = 32L << 20 }));
        var reader = loop.Submit(new GenerationRequest(served.Tokenizer.Encode("hello", true), new SamplingParams { Temperature = 0, MaxTokens = 200, IgnoreEos = true }), cancel.Token);
        await reader.ReadAsync();

        await loop.DisposeAsync();
        cancel.Cancel();

        var stopped = await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in reader.ReadAllAsync())
            {
            }
        });
        Assert.Contains("engine stopped", stopped.Message, StringComparison.Ordinal);
    }

    /// <summary>The model's experts, except that the first call fails as a lost expert shard would.</summary>
    private sealed class FailOnce(IExpertExecutor inner) : IExpertExecutor
    {
        private int _calls;

        public torch.Tensor Execute(torch.Tensor hidden, ExpertRouting routing) =>
            Interlocked.Increment(ref _calls) == 1 ? throw new InvalidOperationException("expert shard lost") : inner.Execute(hidden, routing);
    }
}
