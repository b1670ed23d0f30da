using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary>One choice to generate: its index in the response, which prompt it continues, and how.</summary>
internal sealed record SequencePlan(int Index, int PromptIndex, IReadOnlyList<int> Prompt, SamplingParams Sampling);
