using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using TorchSharp;

namespace Elastic.Inference.Tests.Experts;

[Trait("Category", "Unit")]
public sealed class ExpertRoutingTests
{
    [Theory]
    [InlineData(1, 8, 2, true)] // Mixtral's shape, one decode row
    [InlineData(33, 8, 2, false)]
    [InlineData(70, 60, 4, false)] // Qwen1.5-MoE: 60 experts, top-4, not renormalised
    [InlineData(5, 128, 8, true)] // Qwen3-MoE: 128 experts, top-8, norm_topk_prob
    [InlineData(4, 3, 3, true)] // k = every expert
    public void FromRouterLogits_MatchesLibtorchSoftmaxThenTopK(int rows, int experts, int topK, bool normalize)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var logits = torch.randn([rows, experts], generator: new torch.Generator(seed: (ulong)((rows * 131) + experts))) * 3;

        var routing = ExpertRouting.FromRouterLogits(layer: 2, experts, topK, normalize, TensorCopy.ToArray<float>(logits));

        var (expectedWeights, expectedIds) = torch.topk(torch.nn.functional.softmax(logits, 1), topK, dim: 1);
        if (normalize)
        {
            expectedWeights /= expectedWeights.sum([1L], keepdim: true);
        }

        Assert.Equal(TensorCopy.ToArray<long>(expectedIds), routing.ExpertIds);
        var weights = TensorCopy.ToArray<float>(expectedWeights);
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.Equal(weights[i], routing.Weights[i], 1e-6f);
        }

        Assert.Equal(rows, routing.Rows);
        Assert.Equal(2, routing.Layer);
        Assert.Equal(rows * topK, routing.Groups.Sum(g => g.Rows.Length));
    }

    [Fact]
    public void FromRouterLogits_OrdersTiesByExpertId()
    {
        float[] logits = [1f, 5f, -3f, 5f, -2f, 5f];

        var routing = ExpertRouting.FromRouterLogits(layer: 0, numExperts: 6, topK: 3, normalizeTopK: true, logits);

        Assert.Equal([1L, 3L, 5L], routing.ExpertIds);
        Assert.All(routing.Weights, w => Assert.Equal(1f / 3, w, 1e-6f));
    }

    [Fact]
    public void FromRouterLogits_NeverPicksANaNLogitAndPropagatesItToTheRowsWeights()
    {
        // A NaN logit means the model produced NaN activations; libtorch's softmax turns the row's weights to NaN too.
        float[] logits = [float.NaN, 2f, 1f, 0f, 0f, 1f, 2f, 3f];

        var routing = ExpertRouting.FromRouterLogits(layer: 0, numExperts: 4, topK: 2, normalizeTopK: true, logits);

        Assert.Equal([1L, 2L, 3L, 2L], routing.ExpertIds);
        Assert.True(float.IsNaN(routing.Weights[0]) && float.IsNaN(routing.Weights[1]));
        Assert.Equal(1f / (1f + MathF.Exp(-1f)), routing.Weights[2], 1e-6f);
    }

    [Fact]
    public void FromRouterLogits_WeightsAreTheSoftmaxProbabilitiesWithoutRenormalising()
    {
        float[] logits = [0f, MathF.Log(3f), float.NegativeInfinity, MathF.Log(4f)];

        var routing = ExpertRouting.FromRouterLogits(layer: 0, numExperts: 4, topK: 2, normalizeTopK: false, logits);

        Assert.Equal([3L, 1L], routing.ExpertIds);
        Assert.Equal(0.5f, routing.Weights[0], 1e-6f);
        Assert.Equal(0.375f, routing.Weights[1], 1e-6f);
    }

    [Fact]
    public void FromRouterLogits_RejectsLogitsThatAreNotWholeRows()
    {
        var error = Assert.Throws<ArgumentException>(() => ExpertRouting.FromRouterLogits(layer: 0, numExperts: 8, topK: 2, normalizeTopK: true, new float[12]));

        Assert.Contains("12 values", error.Message, StringComparison.Ordinal);
        Assert.Contains("8 experts", error.Message, StringComparison.Ordinal);
    }
}
