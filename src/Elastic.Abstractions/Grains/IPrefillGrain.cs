using Orleans.Concurrency;

namespace Elastic.Abstractions.Grains;

/// <summary>
/// Runs prompt prefill for one model on a silo with the <see cref="WorkerRole.Prefill"/> role and hands the result to a
/// decode engine elsewhere: the prompt's KV cache and the first token, sampled with the request's own parameters.
/// Concurrent calls share forward steps (continuous batching). Key: the model name, optionally followed by <c>@</c> and
/// a qualifier (decode workers use the prefill silo's address, giving one activation per prefill silo).
/// </summary>
public interface IPrefillGrain : IGrainWithStringKey
{
    /// <summary>
    /// Prefills <paramref name="request"/>'s prompt. Throws <see cref="ArgumentException"/> for a prompt the model cannot
    /// take (empty, out-of-vocabulary ids, too long).
    /// </summary>
    [AlwaysInterleave]
    Task<PrefillResult> PrefillAsync(Immutable<PrefillRequest> request);
}

/// <summary>A prompt to prefill and how its first token is sampled.</summary>
/// <param name="PromptTokens">The prompt in token ids.</param>
/// <param name="Sampling">Sampling parameters of the request, as the decode side will continue with them.</param>
[GenerateSerializer, Immutable, Alias("elastic.PrefillRequest")]
public sealed record PrefillRequest(
    [property: Id(0)] int[] PromptTokens,
    [property: Id(1)] PrefillSampling Sampling);

/// <summary>The sampling parameters that shape the first token (OpenAI semantics, as the engine's sampler reads them).</summary>
[GenerateSerializer, Immutable, Alias("elastic.PrefillSampling")]
public sealed record PrefillSampling(
    [property: Id(0)] float Temperature,
    [property: Id(1)] float TopP,
    [property: Id(2)] int TopK,
    [property: Id(3)] long? Seed,
    [property: Id(4)] float PresencePenalty,
    [property: Id(5)] float FrequencyPenalty,
    [property: Id(6)] int? Logprobs,
    [property: Id(7)] int[] StopTokenIds,
    [property: Id(8)] bool IgnoreEos);

/// <summary>A finished prefill: the first token and the prompt's KV cache.</summary>
/// <param name="TokenId">The first generated token.</param>
/// <param name="Logprob">Its log-probability; NaN when the request asked for none.</param>
/// <param name="TopTokenIds">The most likely alternatives' ids when log-probabilities were asked for.</param>
/// <param name="TopLogprobs">Their log-probabilities, paired with <paramref name="TopTokenIds"/>.</param>
/// <param name="PromptTokens">Tokens whose keys and values the blob holds (the whole prompt).</param>
/// <param name="KvCache">
/// The KV cache as a KV cache blob (Elastic.Inference's <c>KvCacheBlob</c>: a 24-byte header, then per layer fp32 keys and
/// values [kvHeads, tokens, headDim]). The record is immutable, so Orleans passes the array without copying it in process.
/// </param>
/// <param name="KvBytes">Payload bytes of <paramref name="KvCache"/> (without its header): 2 · layers · kvHeads · headDim · 4 per token.</param>
/// <param name="PrefillMilliseconds">Time from admission to the first token on the prefill engine.</param>
[GenerateSerializer, Immutable, Alias("elastic.PrefillResult")]
public sealed record PrefillResult(
    [property: Id(0)] int TokenId,
    [property: Id(1)] float Logprob,
    [property: Id(2)] int[] TopTokenIds,
    [property: Id(3)] float[] TopLogprobs,
    [property: Id(4)] int PromptTokens,
    [property: Id(5)] byte[] KvCache,
    [property: Id(6)] long KvBytes,
    [property: Id(7)] double PrefillMilliseconds);
