using Elastic.Inference.Chat;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Generation;

[Trait("Category", "Integration")]
public sealed class TextGeneratorTests : IClassFixture<TextGeneratorTests.Fixture>
{
    private readonly Fixture _fixture;

    public TextGeneratorTests(Fixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Generate_StreamedText_EqualsDecodeOfAllTokens()
    {
        var updates = await Collect(_fixture.Served.Tokenizer.Encode("12+34=", true), new SamplingParams { Temperature = 1, Seed = 3, MaxTokens = 40, IgnoreEos = true });

        var ids = updates.Select(u => u.Token!.TokenId).ToList();
        Assert.Equal(40, ids.Count);
        Assert.Equal(_fixture.Served.Tokenizer.Decode(ids, skipSpecialTokens: true), string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(FinishReason.Length, updates[^1].Finish);
    }

    [Fact]
    public async Task Generate_StopString_CutsOutputAndFreesCache()
    {
        var prompt = _fixture.Served.Tokenizer.Encode("the quick", true);
        var free = await Collect(prompt, new SamplingParams { Temperature = 0, MaxTokens = 30, IgnoreEos = true });
        var fullText = string.Concat(free.Select(u => u.Text));
        Assert.True(fullText.Length >= 6, $"need some text to cut, got '{fullText}'");
        var stop = fullText.Substring(3, 2);
        var expected = fullText[..fullText.IndexOf(stop, StringComparison.Ordinal)];

        var cut = await Collect(prompt, new SamplingParams { Temperature = 0, MaxTokens = 30, IgnoreEos = true, Stop = [stop] });

        Assert.Equal(expected, string.Concat(cut.Select(u => u.Text)));
        Assert.Equal(FinishReason.Stop, cut[^1].Finish);
        await WaitUntil(() => _fixture.Loop.Engine.KvCache.ReservedTokens == 0);
    }

    [Fact]
    public async Task Generate_Cancelled_FreesCacheWithinOneStep()
    {
        using var cts = new CancellationTokenSource();
        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in _fixture.Generator.GenerateAsync(_fixture.Served.Tokenizer.Encode("hello", true), new SamplingParams { MaxTokens = 200, IgnoreEos = true }, cts.Token))
            {
                if (++count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        });

        await WaitUntil(() => _fixture.Loop.Engine.KvCache.ReservedTokens == 0 && _fixture.Loop.Engine.KvCache.AllocatedBytes == 0);
    }

    [Fact]
    public void EncodeChat_UsesCheckpointTemplate()
    {
        var ids = _fixture.Served.EncodeChat([new ChatMessage("user", "hi")]);
        var text = _fixture.Served.Tokenizer.Decode(ids);

        Assert.Equal(ChatTemplateOrigin.Checkpoint, _fixture.Served.ChatTemplate.Origin);
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", text);
        Assert.Equal(_fixture.Served.Tokenizer.TokenToId("<|im_start|>"), ids[0]);
    }

    private Task<List<GenerationUpdate>> Collect(IReadOnlyList<int> prompt, SamplingParams sampling) =>
        _fixture.Generator.GenerateAsync(prompt, sampling).ToListAsync().AsTask();

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(10);
        }
    }

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new("elastic-served");

        public ServedModel Served { get; private set; } = null!;

        public EngineLoop Loop { get; private set; } = null!;

        public TextGenerator Generator { get; private set; } = null!;

        public Task InitializeAsync()
        {
            Served = ServedModel.Load(TinyServedCheckpoint.Write(_directory.Path));
            Loop = new EngineLoop(Served.CreateEngine(new EngineOptions { KvCacheBytes = 32L << 20 }));
            Generator = new TextGenerator(Served, Loop);
            return Task.CompletedTask;
        }

        public async Task DisposeAsync()
        {
            await Loop.DisposeAsync();
            Served.Dispose();
            _directory.Dispose();
        }
    }
}
