namespace Elastic.Inference.Sampling;

/// <summary>A candidate token and its log-probability under the model.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);

/// <summary>The token a sampler chose, with its log-probability and the top alternatives when asked.</summary>
public sealed record SampledToken(int TokenId, float Logprob, IReadOnlyList<TokenLogprob> TopLogprobs);
