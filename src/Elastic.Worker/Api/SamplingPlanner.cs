using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary>Turns a request's OpenAI parameters into engine sampling parameters, fitting max_tokens to the context.</summary>
internal static class SamplingPlanner
{
    /// <summary>OpenAI's default max_tokens for legacy completions.</summary>
    public const int DefaultCompletionMaxTokens = 16;

    /// <summary>
    /// Sampling for one prompt, or the 400 OpenAI gives when prompt + max_tokens exceed the context.
    /// Without max_tokens, completions get min(16, rest of context) and chat the rest of the context. Temperature,
    /// top_p and top_k a request leaves out come from the checkpoint's generation config, then OpenAI's defaults.
    /// </summary>
    public static OpenAiError? TryPlan(
        OpenAiSamplingOptions options, GenerationConfig defaults, int? maxTokens, int defaultCap, int? logprobs, int promptTokens, int maxModelLength, string promptPart, out SamplingParams sampling)
    {
        var remaining = maxModelLength - promptTokens;
        var tokens = maxTokens ?? Math.Min(defaultCap, remaining);
        sampling = null!;
        // In long: max_tokens may be up to int.MaxValue, and the sum must not wrap past the check.
        if (tokens < 1 || (long)promptTokens + tokens > maxModelLength)
        {
            return OpenAiError.ContextLengthExceeded(maxModelLength, promptTokens, Math.Max(tokens, 1), promptPart);
        }

        sampling = new SamplingParams
        {
            Temperature = options.Temperature is { } temperature ? (float)temperature : defaults.Temperature ?? 1,
            TopP = options.TopP is { } topP ? (float)topP : defaults.TopP ?? 1,
            TopK = options.TopK ?? defaults.TopK ?? 0,
            Seed = options.Seed,
            MaxTokens = tokens,
            Stop = options.Stop,
            StopTokenIds = options.StopTokenIds,
            IgnoreEos = options.IgnoreEos,
            PresencePenalty = (float)options.PresencePenalty,
            FrequencyPenalty = (float)options.FrequencyPenalty,
            Logprobs = logprobs,
        };
        return null;
    }

    /// <summary>The j-th of n choices: seeded runs use seed + j, so choices differ yet each repeats exactly.</summary>
    public static SamplingParams ForChoice(SamplingParams sampling, int choice) =>
        sampling.Seed is { } seed && choice > 0 ? sampling with { Seed = seed + choice } : sampling;
}
