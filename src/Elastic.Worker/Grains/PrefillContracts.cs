using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Grains;

/// <summary>Maps between the engine's sampling and hand-over types and the prefill grain's wire records.</summary>
internal static class PrefillContracts
{
    public static PrefillSampling ToContract(SamplingParams s) =>
        new(s.Temperature, s.TopP, s.TopK, s.Seed, s.PresencePenalty, s.FrequencyPenalty, s.Logprobs, [.. s.StopTokenIds], s.IgnoreEos);

    /// <summary>The parameters the prefill engine samples the first token with: the request's, ending after that token.</summary>
    public static SamplingParams ToSampling(PrefillSampling s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new SamplingParams
        {
            Temperature = s.Temperature,
            TopP = s.TopP,
            TopK = s.TopK,
            Seed = s.Seed,
            PresencePenalty = s.PresencePenalty,
            FrequencyPenalty = s.FrequencyPenalty,
            Logprobs = s.Logprobs,
            StopTokenIds = s.StopTokenIds ?? [],
            IgnoreEos = s.IgnoreEos,
            MaxTokens = 1,
        };
    }

    public static PrefillHandOff ToHandOff(PrefillResult r)
    {
        var top = new TokenLogprob[r.TopTokenIds.Length];
        for (var i = 0; i < top.Length; i++)
        {
            top[i] = new TokenLogprob(r.TopTokenIds[i], r.TopLogprobs[i]);
        }

        return new PrefillHandOff(r.KvCache, new SampledToken(r.TokenId, r.Logprob, top));
    }
}
