using Elastic.Inference.Caching;
using Elastic.Inference.Configuration;
using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tests.Modeling;
using Elastic.Inference.Tracing;
using static Elastic.Inference.Tests.Engine.EngineTestHarness;

namespace Elastic.Inference.Tests.Engine;

[Trait("Category", "Unit")]
public sealed class InferenceEngineTests : IClassFixture<InferenceEngineTests.Fixture>
{
    private readonly TinyModel _tiny;

    public InferenceEngineTests(Fixture fixture) => _tiny = fixture.Tiny;

    [Fact]
    public void Greedy_SamePromptTwice_GivesSameTokens()
    {
        var prompt = _tiny.RandomTokens(6, 1);
        using var engine = NewEngine();

        var a = engine.Submit(Request(prompt, maxTokens: 10));
        var first = RunToCompletion(engine);
        var b = engine.Submit(Request(prompt, maxTokens: 10));
        var second = RunToCompletion(engine);

        Assert.Equal(10, Tokens(first[a]).Length);
        Assert.Equal(Tokens(first[a]), Tokens(second[b]));
    }

    [Fact]
    public void Greedy_EachTokenIsArgmaxOfReferenceLogits()
    {
        var prompt = _tiny.RandomTokens(5, 2);
        using var engine = NewEngine();
        var id = engine.Submit(Request(prompt, maxTokens: 6));

        var generated = Tokens(RunToCompletion(engine)[id]);

        var context = prompt.ToList();
        foreach (var token in generated)
        {
            var logits = _tiny.Reference.Logits(context)[^1];
            Assert.Equal(SamplingKernels.ArgMax(logits), token);
            context.Add(token);
        }
    }

    [Fact]
    public void Batch_SequencesTogether_GiveSameTokensAsAlone()
    {
        var prompts = Enumerable.Range(0, 5).Select(i => _tiny.RandomTokens(3 + (i * 4), 10 + i)).ToArray();
        var alone = prompts.Select(p =>
        {
            using var engine = NewEngine();
            var id = engine.Submit(Request(p, maxTokens: 7));
            return Tokens(RunToCompletion(engine)[id]);
        }).ToArray();

        // Small batches of tokens force chunked prefill to overlap with decoding.
        using var batched = NewEngine(new EngineOptions { MaxBatchedTokens = 9 });
        var ids = prompts.Select(p => batched.Submit(Request(p, maxTokens: 7))).ToArray();
        var together = RunToCompletion(batched);

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], Tokens(together[ids[i]]));
        }
    }

    [Fact]
    public void SeededSampling_RepeatsExactly_WhateverShareItsBatch()
    {
        var prompt = _tiny.RandomTokens(4, 3);
        int[] Run(int companions)
        {
            using var engine = NewEngine();
            var id = engine.Submit(Request(prompt, maxTokens: 12, temperature: 1.2f, seed: 42));
            for (var i = 0; i < companions; i++)
            {
                engine.Submit(Request(_tiny.RandomTokens(5, 100 + i), maxTokens: 12, temperature: 1f));
            }

            return Tokens(RunToCompletion(engine)[id]);
        }

        var alone = Run(0);
        Assert.Equal(alone, Run(0));
        Assert.Equal(alone, Run(3));
    }

    [Fact]
    public void Sampling_DifferentSeeds_GiveDifferentOutputs()
    {
        var prompt = _tiny.RandomTokens(4, 3);
        using var engine = NewEngine();
        var ids = Enumerable.Range(0, 4).Select(s => engine.Submit(Request(prompt, maxTokens: 16, temperature: 1.5f, seed: s))).ToArray();
        var outputs = RunToCompletion(engine);

        Assert.True(ids.Select(id => string.Join(",", Tokens(outputs[id]))).Distinct().Count() > 1);
    }

    [Fact]
    public void Finish_MaxTokens_ReportsLengthAndFreesCache()
    {
        using var engine = NewEngine();
        var id = engine.Submit(Request(_tiny.RandomTokens(4, 4), maxTokens: 3));

        var outputs = RunToCompletion(engine)[id];

        Assert.Equal(3, outputs.Count);
        Assert.Equal(FinishReason.Length, outputs[^1].Finish);
        Assert.All(outputs.SkipLast(1), o => Assert.Null(o.Finish));
        AssertEverythingFreed(engine);
    }

    [Fact]
    public void Finish_StopTokenId_EndsWithStop()
    {
        var prompt = _tiny.RandomTokens(5, 5);
        using var probe = NewEngine();
        var probeId = probe.Submit(Request(prompt, maxTokens: 4));
        var greedy = Tokens(RunToCompletion(probe)[probeId]);

        using var engine = NewEngine();
        var id = engine.Submit(new GenerationRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 4, StopTokenIds = [greedy[1]] }));
        var outputs = RunToCompletion(engine)[id];

        Assert.Equal(FinishReason.Stop, outputs[^1].Finish);
        Assert.Equal(greedy.Take(Array.IndexOf(greedy, greedy[1]) + 1), Tokens(outputs));
    }

    [Fact]
    public void Abort_RunningSequence_FreesItsCacheWithinOneStep()
    {
        using var engine = NewEngine();
        var id = engine.Submit(Request(_tiny.RandomTokens(6, 6), maxTokens: 50));
        engine.Step();
        engine.Step();
        Assert.True(engine.KvCache.AllocatedBytes > 0);

        engine.Abort(id);
        var outputs = engine.Step();

        Assert.Contains(outputs, o => o.SequenceId == id && o.Finish == FinishReason.Abort);
        AssertEverythingFreed(engine);
    }

    [Fact]
    public void Admission_KvBudgetFull_QueuesUntilSpaceFrees()
    {
        var bytesPerToken = _tiny.Config.KvBytesPerToken;
        using var engine = NewEngine(new EngineOptions { KvCacheBytes = bytesPerToken * 20 });
        var first = engine.Submit(Request(_tiny.RandomTokens(6, 7), maxTokens: 8));
        var second = engine.Submit(Request(_tiny.RandomTokens(6, 8), maxTokens: 8));

        engine.Step();
        Assert.Equal(1, engine.Stats.Running);
        Assert.Equal(1, engine.Stats.Waiting);
        Assert.True(engine.KvCache.ReservedTokens <= engine.KvCache.CapacityTokens);

        var outputs = RunToCompletion(engine);
        Assert.Equal(7, outputs[first].Count);
        Assert.Equal(8, outputs[second].Count);
    }

    [Fact]
    public void Admission_ReservesAsSequencesGrow_NotTheirWholeMaxTokens()
    {
        var bytesPerToken = _tiny.Config.KvBytesPerToken;
        using var engine = NewEngine(new EngineOptions { KvCacheBytes = bytesPerToken * 150 });
        // Each may reach 6 + 100 tokens; reserving that up front would admit one at a time.
        engine.Submit(Request(_tiny.RandomTokens(6, 11), maxTokens: 100));
        engine.Submit(Request(_tiny.RandomTokens(6, 12), maxTokens: 100));

        engine.Step();

        Assert.Equal(2, engine.Stats.Running);
        Assert.Equal(2 * (6 + Scheduler.ReserveAhead), engine.KvCache.ReservedTokens);
    }

    [Fact]
    public void Preemption_BudgetShortAsSequencesGrow_NewestRecomputesAndEveryOutputMatchesRunningAlone()
    {
        var bytesPerToken = _tiny.Config.KvBytesPerToken;
        var prompts = Enumerable.Range(0, 3).Select(i => _tiny.RandomTokens(6 + i, 20 + i)).ToArray();
        var alone = prompts.Select(p =>
        {
            using var solo = NewEngine();
            var id = solo.Submit(Request(p, maxTokens: 100));
            return Tokens(RunToCompletion(solo)[id]);
        }).ToArray();

        // 150 tokens hold two sequences' first reservations (prompt + 64) but not their growth to ~106 each.
        using var engine = NewEngine(new EngineOptions { KvCacheBytes = bytesPerToken * 150 });
        var ids = prompts.Select(p => engine.Submit(Request(p, maxTokens: 100))).ToArray();
        var outputs = RunToCompletion(engine);

        Assert.True(engine.Stats.Preemptions > 0, "the budget was never short: the test does not exercise preemption");
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(alone[i], Tokens(outputs[ids[i]]));
            Assert.Equal(FinishReason.Length, outputs[ids[i]][^1].Finish);
        }

        AssertEverythingFreed(engine);
    }

    [Fact]
    public void Preemption_SeededSampling_ContinuesTheSameDraws()
    {
        var bytesPerToken = _tiny.Config.KvBytesPerToken;
        var prompts = Enumerable.Range(0, 3).Select(i => _tiny.RandomTokens(5, 40 + i)).ToArray();
        int[] Run(long budgetTokens)
        {
            using var engine = NewEngine(new EngineOptions { KvCacheBytes = bytesPerToken * budgetTokens });
            var ids = prompts.Select((p, i) => engine.Submit(Request(p, maxTokens: 90, temperature: 0.9f, seed: 100 + i))).ToArray();
            var outputs = RunToCompletion(engine);
            Assert.Equal(0, engine.KvCache.ReservedTokens);
            return [.. ids.SelectMany(id => Tokens(outputs[id])), (int)engine.Stats.Preemptions];
        }

        var roomy = Run(4096);
        var tight = Run(140);

        Assert.Equal(0, roomy[^1]);
        Assert.True(tight[^1] > 0, "no preemption happened");
        Assert.Equal(roomy[..^1], tight[..^1]);
    }

    [Fact]
    public void QueueTime_IsTheWaitUntilFirstAdmission_NotPrefillOrLaterSteps()
    {
        using var engine = NewEngine(new EngineOptions { MaxRunningSequences = 1 });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var first = engine.Submit(Request(_tiny.RandomTokens(5, 1), maxTokens: 4));
        var second = engine.Submit(Request(_tiny.RandomTokens(5, 2), maxTokens: 3));
        var submitted = clock.Elapsed;

        // The second sequence is admitted only in the step after the first one finishes (one running at a time).
        var outputs = new List<(SequenceOutput Output, TimeSpan StepStart, TimeSpan StepEnd)>();
        while (engine.HasWork)
        {
            var start = clock.Elapsed;
            var step = engine.Step();
            var end = clock.Elapsed;
            outputs.AddRange(step.Select(o => (o, start, end)));
        }

        var ofFirst = outputs.Where(o => o.Output.SequenceId == first).ToList();
        var ofSecond = outputs.Where(o => o.Output.SequenceId == second).ToList();
        Assert.Equal(4, ofFirst.Count);
        Assert.Equal(3, ofSecond.Count);
        Assert.True(ofFirst[0].Output.QueueTime <= ofFirst[0].StepEnd, $"first: {ofFirst[0].Output.QueueTime}");

        // Admitted inside the step that produced its first token, after every step of the first sequence.
        var queue = ofSecond[0].Output.QueueTime;
        Assert.InRange(queue, ofFirst[^1].StepEnd - submitted, ofSecond[0].StepEnd);
        Assert.All(ofSecond, o => Assert.Equal(queue, o.Output.QueueTime));
    }

    [Fact]
    public void Submit_WaitingQueueFull_ThrowsOverloaded()
    {
        using var engine = NewEngine(new EngineOptions { MaxRunningSequences = 1, MaxWaitingSequences = 1 });
        engine.Submit(Request(_tiny.RandomTokens(3, 1)));
        engine.Step();
        engine.Submit(Request(_tiny.RandomTokens(3, 2)));

        var error = Assert.Throws<EngineOverloadedException>(() => engine.Submit(Request(_tiny.RandomTokens(3, 3))));
        Assert.Contains("overloaded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_KvBudgetFullWithSlotsFree_QueueIsStillBounded()
    {
        // The KV budget holds one sequence while three slots are free: the queue may hold the free slots' worth plus its
        // own limit, then refuses (it once grew without end because only a full set of running slots counted).
        var bytesPerToken = new KvCacheManager(_tiny.Config, 1 << 20).BytesPerToken;
        using var engine = NewEngine(new EngineOptions { MaxRunningSequences = 4, MaxWaitingSequences = 2, KvCacheBytes = bytesPerToken * 50 });
        engine.Submit(Request(_tiny.RandomTokens(20, 1), maxTokens: 20));
        engine.Step();
        Assert.Equal(1, engine.Stats.Running);

        for (var i = 0; i < 5; i++)
        {
            engine.Submit(Request(_tiny.RandomTokens(20, 10 + i), maxTokens: 20));
        }

        engine.Step();
        Assert.Equal((1, 5), (engine.Stats.Running, engine.Stats.Waiting));
        var error = Assert.Throws<EngineOverloadedException>(() => engine.Submit(Request(_tiny.RandomTokens(3, 3))));
        Assert.Contains("2 waiting beyond 3 free running slots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_PromptPlusMaxTokensOverContext_ThrowsNamingTheLimit()
    {
        using var engine = NewEngine();
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(Request(_tiny.RandomTokens(100, 1), maxTokens: 100)));
        Assert.Contains($"maximum context length is {_tiny.Config.MaxPositionEmbeddings}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Stats.Waiting);
    }

    [Fact]
    public void Submit_MaxTokensOfIntMax_IsRefusedByTheContextCheck_NotWrappedPastIt()
    {
        using var engine = NewEngine();
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(Request(_tiny.RandomTokens(3, 1), maxTokens: int.MaxValue)));
        Assert.Contains("2147483650 were requested", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Stats.Waiting);
    }

    [Theory]
    [InlineData(3f, 1f, 0, "temperature")]
    [InlineData(1f, 0f, 0, "top_p")]
    [InlineData(1f, 1f, -2, "top_k")]
    public void Submit_OutOfRangeSampling_ThrowsNamingTheParameter(float temperature, float topP, int topK, string parameter)
    {
        using var engine = NewEngine();
        var error = Assert.Throws<ArgumentException>(() =>
            engine.Submit(new GenerationRequest([1, 2], new SamplingParams { Temperature = temperature, TopP = topP, TopK = topK })));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Logprobs_Requested_ReturnsChosenAndTopAlternativesFromReference()
    {
        var prompt = _tiny.RandomTokens(5, 9);
        using var engine = NewEngine();
        var id = engine.Submit(Request(prompt, maxTokens: 1, logprobs: 3));

        var token = RunToCompletion(engine)[id].Single().Token!;

        var logits = _tiny.Reference.Logits(prompt)[^1];
        var logZ = Sampler.LogSumExp(logits);
        Assert.Equal(logits[token.TokenId] - logZ, token.Logprob, 1e-4f);
        Assert.Equal(3, token.TopLogprobs.Count);
        Assert.Equal(token.TokenId, token.TopLogprobs[0].TokenId);
        var expectedTop = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(3).Select(x => x.i);
        Assert.Equal(expectedTop, token.TopLogprobs.Select(t => t.TokenId));
    }

    [Fact]
    public void RoutingTrace_Enabled_RecordsEveryTokenOfEverySparseLayer()
    {
        var sink = new RecordingSink();
        using var engine = new InferenceEngine(_tiny.Model.Transformer, _tiny.Model.Experts, new EngineOptions { KvCacheBytes = 64L << 20 }, sink);
        var id = engine.Submit(Request(_tiny.RandomTokens(5, 1), maxTokens: 3));
        RunToCompletion(engine);

        var sparseLayers = Enumerable.Range(0, _tiny.Config.NumLayers).Count(_tiny.Config.IsSparseLayer);
        // 5 prompt rows + 2 decode rows (the last sampled token is never fed back).
        Assert.Equal(7 * sparseLayers, sink.Rows.Count);
        Assert.All(sink.Rows, r => Assert.Equal(id, r.Origin.SequenceId));
        Assert.All(sink.Rows, r => Assert.Equal(_tiny.Config.NumExpertsPerToken, r.Experts.Distinct().Count()));
        Assert.Equal(Enumerable.Range(0, 7), sink.Rows.Where(r => r.Layer == 0).Select(r => r.Origin.Position));
    }

    private InferenceEngine NewEngine(EngineOptions? options = null)
    {
        options ??= new EngineOptions();
        if (options.KvCacheBytes == new EngineOptions().KvCacheBytes)
        {
            options.KvCacheBytes = 64L << 20;
        }

        return new InferenceEngine(_tiny.Model.Transformer, _tiny.Model.Experts, options);
    }

    public sealed class Fixture : IDisposable
    {
        public TinyModel Tiny { get; } = new(ModelFamily.Qwen3Moe);

        public void Dispose() => Tiny.Dispose();
    }

    private sealed class RecordingSink : IRoutingTraceSink
    {
        public List<(int Layer, RowOrigin Origin, long[] Experts)> Rows { get; } = [];

        public void OnLayerRouted(long stepNumber, IReadOnlyList<RowOrigin> rows, ExpertRouting routing)
        {
            for (var r = 0; r < routing.Rows; r++)
            {
                Rows.Add((routing.Layer, rows[r], routing.ExpertIds.AsSpan(r * routing.TopK, routing.TopK).ToArray()));
            }
        }
    }
}
