using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary>Renders sampled tokens as OpenAI log-probabilities, in the legacy completions layout or the chat layout.</summary>
internal sealed class LogprobFormatter(IGenerationBackend backend, bool tokensAsIds, int topLogprobs)
{
    // vLLM's floor: JSON has no -Infinity, and a token the model ruled out still needs a number.
    private const float Floor = -9999f;

    /// <summary>
    /// Each token's top alternatives keyed by name, plus the sampled token itself as vLLM does (so logprobs=0
    /// still names the choice); <paramref name="offsets"/> are character offsets into the choice's text.
    /// </summary>
    public CompletionLogprobs Completion(IReadOnlyList<SampledToken> tokens, IReadOnlyList<int> offsets, int offsetBase)
    {
        var names = new List<string>(tokens.Count);
        var values = new List<float>(tokens.Count);
        var tops = new List<Dictionary<string, float>>(tokens.Count);
        var textOffsets = new List<int>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var name = Name(token.TokenId);
            names.Add(name);
            values.Add(Clamp(token.Logprob));
            var top = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var alternative in token.TopLogprobs.Take(topLogprobs))
            {
                top.TryAdd(Name(alternative.TokenId), Clamp(alternative.Logprob));
            }

            top.TryAdd(name, Clamp(token.Logprob));
            tops.Add(top);
            textOffsets.Add(offsetBase + offsets[i]);
        }

        return new CompletionLogprobs { Tokens = names, TokenLogprobs = values, TopLogprobs = tops, TextOffset = textOffsets };
    }

    public ChatLogprobs Chat(IReadOnlyList<SampledToken> tokens) => new()
    {
        Content = [.. tokens.Select(token => new ChatTokenLogprob
        {
            Token = Name(token.TokenId),
            Logprob = Clamp(token.Logprob),
            Bytes = Bytes(token.TokenId),
            TopLogprobs = [.. token.TopLogprobs.Take(topLogprobs).Select(alternative => new ChatTopLogprob
            {
                Token = Name(alternative.TokenId),
                Logprob = Clamp(alternative.Logprob),
                Bytes = Bytes(alternative.TokenId),
            })],
        })],
    };

    private static float Clamp(float logprob) => float.IsNaN(logprob) ? Floor : Math.Max(logprob, Floor);

    private string Name(int tokenId) => tokensAsIds ? OpenAiTokenText.FromTokenId(tokenId) : backend.TokenText(tokenId);

    private int[] Bytes(int tokenId) => [.. backend.TokenBytes(tokenId).Select(b => (int)b)];
}
