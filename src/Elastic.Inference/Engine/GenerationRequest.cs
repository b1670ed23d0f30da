using Elastic.Inference.Sampling;

namespace Elastic.Inference.Engine;

/// <summary>A prompt in token ids and how to continue it.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, SamplingParams Sampling);

/// <summary>One new token of a sequence, produced by an engine step.</summary>
public sealed record SequenceOutput(long SequenceId, SampledToken? Token, FinishReason? Finish, int PromptTokens, int OutputTokens)
{
    public bool IsFinished => Finish is not null;
}

/// <summary>Thrown when the engine's waiting queue is full: the caller should retry later (HTTP 503).</summary>
public sealed class EngineOverloadedException(string message) : Exception(message);
