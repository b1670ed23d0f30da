using Elastic.Inference.Engine;
using Elastic.Inference.Sampling;

namespace Elastic.Inference.Tests.Engine;

/// <summary>Runs an engine's steps on the test thread until every submitted sequence ends.</summary>
internal static class EngineTestHarness
{
    public static Dictionary<long, List<SequenceOutput>> RunToCompletion(InferenceEngine engine, int maxSteps = 10_000)
    {
        var outputs = new Dictionary<long, List<SequenceOutput>>();
        for (var step = 0; engine.HasWork; step++)
        {
            Assert.True(step < maxSteps, "engine did not finish within the step limit");
            foreach (var output in engine.Step())
            {
                if (!outputs.TryGetValue(output.SequenceId, out var list))
                {
                    outputs[output.SequenceId] = list = [];
                }

                list.Add(output);
            }
        }

        return outputs;
    }

    /// <summary>No sequence left and every KV reservation and cache byte returned.</summary>
    public static void AssertEverythingFreed(InferenceEngine engine)
    {
        Assert.Equal(0, engine.KvCache.ReservedTokens);
        Assert.Equal(0, engine.KvCache.AllocatedBytes);
        Assert.False(engine.HasWork);
    }

    public static int[] Tokens(IEnumerable<SequenceOutput> outputs) =>
        outputs.Where(o => o.Token is not null).Select(o => o.Token!.TokenId).ToArray();

    public static GenerationRequest Request(int[] prompt, int maxTokens = 8, float temperature = 0, long? seed = null, int? logprobs = null) =>
        new(prompt, new SamplingParams { MaxTokens = maxTokens, Temperature = temperature, Seed = seed, Logprobs = logprobs, IgnoreEos = true });
}
