using Elastic.Inference.Sampling;

namespace Elastic.Inference.Engine;

/// <summary>A prompt in token ids and how to continue it.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, SamplingParams Sampling)
{
    /// <summary>
    /// Export the sequence's KV cache (as a <see cref="Caching.KvCacheBlob"/>) into its finishing output: the prefill side
    /// of a hand-over runs the prompt with max_tokens 1 and this set.
    /// </summary>
    public bool ExportKvCache { get; init; }

    /// <summary>The prompt's KV cache and first token from a prefill elsewhere: the engine imports them on admission and only decodes.</summary>
    public PrefillHandOff? Prefilled { get; init; }
}

/// <summary>
/// A finished prefill handed to a decode engine: the prompt's KV cache and the first token the prefill side sampled
/// with the request's own sampling parameters. The decode side's sampler replays that draw
/// (<see cref="Sampler.Replay"/>): a seeded generator advanced by exactly the one draw the prefill side made, so seeded
/// outputs are identical to a local prefill.
/// </summary>
/// <param name="KvCache">A <see cref="Caching.KvCacheBlob"/> holding exactly the prompt's tokens.</param>
/// <param name="FirstToken">The first generated token, with its log-probabilities when the request asked for them.</param>
public sealed record PrefillHandOff(byte[] KvCache, SampledToken FirstToken);

/// <summary>One new token of a sequence, produced by an engine step.</summary>
public sealed record SequenceOutput(long SequenceId, SampledToken? Token, FinishReason? Finish, int PromptTokens, int OutputTokens)
{
    public bool IsFinished => Finish is not null;

    /// <summary>On the finishing output of a request with <see cref="GenerationRequest.ExportKvCache"/>: the KV cache of every token but the last.</summary>
    public byte[]? KvCache { get; init; }

    /// <summary>How long the sequence waited in the engine's queue before it first joined the running batch (vLLM's queue time).</summary>
    public TimeSpan QueueTime { get; init; }
}

/// <summary>Thrown when the engine's waiting queue is full: the caller should retry later (HTTP 503).</summary>
public sealed class EngineOverloadedException(string message) : Exception(message);
