using Elastic.Inference.Caching;
using Elastic.Inference.Configuration;
using Elastic.Inference.Engine;
using Elastic.Inference.Tests.Modeling;
using static Elastic.Inference.Tests.Engine.EngineTestHarness;

namespace Elastic.Inference.Tests.Engine;

/// <summary>Prefill on one engine, KV cache + first token handed to another that only decodes.</summary>
[Trait("Category", "Unit")]
public sealed class KvHandOffTests(KvHandOffTests.Fixture fixture) : IClassFixture<KvHandOffTests.Fixture>
{
    private readonly TinyModel _tiny = fixture.Tiny;

    [Theory]
    [InlineData(0f, null)]
    [InlineData(0.9f, 1234L)]
    public void HandOff_DecodesSameTokensAsLocalPrefill(float temperature, long? seed)
    {
        var prompt = _tiny.RandomTokens(9, 3);
        var local = Run(NewEngine(), Request(prompt, maxTokens: 10, temperature, seed, logprobs: 2));

        var prefill = Run(NewEngine(), Request(prompt, maxTokens: 1, temperature, seed, logprobs: 2) with { ExportKvCache = true }).Single();
        var handOff = new PrefillHandOff(prefill.KvCache!, prefill.Token!);
        using var decode = NewEngine();
        var handed = Run(decode, Request(prompt, maxTokens: 10, temperature, seed, logprobs: 2) with { Prefilled = handOff });

        Assert.Equal(Tokens(local), Tokens(handed));
        Assert.Equal(local[0].Token!.Logprob, handed[0].Token!.Logprob);
        Assert.Equal(FinishReason.Length, handed[^1].Finish);
        AssertEverythingFreed(decode);
    }

    [Fact]
    public void HandOff_PreemptedWhileDecoding_RecomputesLocallyAndMatches()
    {
        var prompts = Enumerable.Range(0, 3).Select(i => _tiny.RandomTokens(7, 60 + i)).ToArray();
        var local = prompts.Select(p => Tokens(Run(NewEngine(), Request(p, maxTokens: 100)))).ToArray();
        var handOffs = prompts.Select(p =>
        {
            var prefill = Run(NewEngine(), Request(p, maxTokens: 1) with { ExportKvCache = true }).Single();
            return new PrefillHandOff(prefill.KvCache!, prefill.Token!);
        }).ToArray();

        // Room for the three imports' first reservations but not for all of them to grow to 107 tokens.
        using var decode = new InferenceEngine(_tiny.Model.Transformer, _tiny.Model.Experts, new EngineOptions { KvCacheBytes = _tiny.Config.KvBytesPerToken * 220 });
        var ids = prompts.Select((p, i) => decode.Submit(Request(p, maxTokens: 100) with { Prefilled = handOffs[i] })).ToArray();
        var outputs = RunToCompletion(decode);

        Assert.True(decode.Stats.Preemptions > 0, "no preemption happened");
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(local[i], Tokens(outputs[ids[i]]));
        }

        AssertEverythingFreed(decode);
    }

    [Fact]
    public void Export_PayloadIsTwoLayersKvHeadsHeadDimFloatsPerToken()
    {
        var prompt = _tiny.RandomTokens(7, 4);
        var c = _tiny.Model.Config;

        var output = Run(NewEngine(), Request(prompt, maxTokens: 1) with { ExportKvCache = true }).Single();

        var layout = KvCacheBlob.Check(output.KvCache, c, prompt.Length);
        Assert.Equal(2L * c.NumLayers * c.NumKvHeads * c.HeadDim * 4, layout.BytesPerToken);
        Assert.Equal(layout.BytesPerToken * prompt.Length, output.KvCache!.Length - KvCacheBlob.HeaderBytes);
        Assert.Equal(c.KvBytesPerToken, layout.BytesPerToken);
    }

    [Fact]
    public void Submit_HandOffForAnotherPromptLength_Throws()
    {
        var prompt = _tiny.RandomTokens(5, 5);
        var prefill = Run(NewEngine(), Request(prompt, maxTokens: 1) with { ExportKvCache = true }).Single();
        using var decode = NewEngine();

        Assert.Throws<ArgumentException>(() => decode.Submit(Request([.. prompt, 1], maxTokens: 4) with { Prefilled = new PrefillHandOff(prefill.KvCache!, prefill.Token!) }));
    }

    private static List<SequenceOutput> Run(InferenceEngine engine, GenerationRequest request)
    {
        var id = engine.Submit(request);
        return RunToCompletion(engine)[id];
    }

    private InferenceEngine NewEngine() => new(_tiny.Model.Transformer, _tiny.Model.Experts, new EngineOptions { KvCacheBytes = 64L << 20 });

    public sealed class Fixture : IDisposable
    {
        public TinyModel Tiny { get; } = new(ModelFamily.Qwen3Moe);

        public void Dispose() => Tiny.Dispose();
    }
}
