using System.Runtime.CompilerServices;
using System.Text;
using Elastic.Inference.Chat;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Worker.Api;

namespace Elastic.Worker.Tests.Api;

/// <summary>
/// A deterministic backend: one token per character (id = char code), and generation replays the prompt's
/// characters starting at (seed mod prompt length), so outputs are predictable yet differ by seed.
/// </summary>
public sealed class FakeGenerationBackend : IGenerationBackend
{
    public const string Name = "fake-model";

    public string ModelName => Name;

    public int MaxModelLength { get; init; } = 64;

    public long CreatedUnixSeconds => 1_700_000_000;

    public int VocabSize => 256;

    public GenerationConfig Generation { get; set; } = new();

    /// <summary>The sampling parameters of the latest generation.</summary>
    public SamplingParams? LastSampling { get; private set; }

    /// <summary>Refuse every generation as the engine does when its queue is full.</summary>
    public bool Overloaded { get; set; }

    /// <summary>Refuse as overloaded every generation from this call on (1: the first), as an engine filling up mid-request.</summary>
    public int? OverloadedFromCall { get; set; }

    private int _calls;

    /// <summary>Fail every generation with an unexpected exception.</summary>
    public Exception? Fault { get; set; }

    /// <summary>When set, each token after the first waits for this to complete.</summary>
    public Task? HoldAfterFirstToken { get; set; }

    public IReadOnlyList<int> EncodePrompt(string text) => [.. text.Select(c => (int)c)];

    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) => EncodePrompt(string.Concat(messages.Select(m => m.Content)));

    public string TokenText(int id) => ((char)id).ToString();

    public byte[] TokenBytes(int id) => Encoding.UTF8.GetBytes(TokenText(id));

    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> prompt, SamplingParams sampling, [EnumeratorCancellation] CancellationToken ct)
    {
        LastSampling = sampling;
        if (Overloaded || Interlocked.Increment(ref _calls) >= OverloadedFromCall)
        {
            throw new EngineOverloadedException("queue full");
        }

        if (Fault is { } fault)
        {
            throw fault;
        }

        await Task.Yield();
        var start = (int)((sampling.Seed ?? 0) % prompt.Count);
        for (var i = 0; i < sampling.MaxTokens; i++)
        {
            if (i == 1 && HoldAfterFirstToken is { } hold)
            {
                await hold.WaitAsync(ct);
            }

            ct.ThrowIfCancellationRequested();
            var id = prompt[(start + i) % prompt.Count];
            var top = sampling.Logprobs is { } n
                ? Enumerable.Range(0, n).Select(k => new TokenLogprob('a' + k, -1f - k)).ToArray()
                : [];
            var token = new SampledToken(id, sampling.Logprobs is null ? float.NaN : -0.5f, top);
            var finish = i == sampling.MaxTokens - 1 ? FinishReason.Length : (FinishReason?)null;
            yield return new GenerationUpdate(TokenText(id), token, finish, prompt.Count, i + 1);
        }
    }
}
