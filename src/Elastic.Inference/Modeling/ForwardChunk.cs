using Elastic.Inference.Caching;

namespace Elastic.Inference.Modeling;

/// <summary>Which logits a chunk wants back from a forward step.</summary>
public enum LogitsWanted
{
    /// <summary>None: a prefill chunk that is not the prompt's last.</summary>
    None,

    /// <summary>The last token's logits: what sampling needs.</summary>
    LastToken,

    /// <summary>Every token's logits: prompt log-probabilities and tests.</summary>
    AllTokens,
}

/// <summary>
/// A run of consecutive tokens of one sequence in a forward step. Positions continue from what
/// the sequence's KV cache already holds; the step appends these tokens' keys and values to it.
/// </summary>
public sealed record ForwardChunk(long SequenceId, SequenceKvCache Cache, int[] Tokens, LogitsWanted Logits);
