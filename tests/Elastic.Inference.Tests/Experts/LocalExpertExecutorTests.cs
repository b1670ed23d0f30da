using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Experts;

[Trait("Category", "Unit")]
public sealed class LocalExpertExecutorTests
{
    private const int Hidden = 37;
    private const int Ffn = 29;

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 2, false)]
    [InlineData(40, 2, false)] // 80 picks over 4 experts: whole experts per thread
    [InlineData(150, 1, false)] // the first expert gets more rows than a decode step has: a prefill-sized group
    [InlineData(4000, 1, false)] // the first expert's rows take many passes of the kernel, each split over the threads
    [InlineData(12, 2, true)] // experts 1 and 3 come as transposed (strided) views: packed like the others
    public void Execute_MatchesPerRowWeightedSum(int rows, int topK, bool stridedOddExperts)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: (ulong)(rows * 7 + topK));
        var tensors = Enumerable.Range(0, 4)
            .Select(e => stridedOddExperts && e % 2 == 1
                ? (GateUp: torch.randn([Hidden, 2 * Ffn], generator: generator).t(), Down: torch.randn([Ffn, Hidden], generator: generator).t())
                : (GateUp: torch.randn([2 * Ffn, Hidden], generator: generator), Down: torch.randn([Hidden, Ffn], generator: generator)))
            .ToArray();
        var experts = tensors.Select((t, e) => ExpertWeights.Pack(new ExpertKey(0, e), t.GateUp, t.Down)).ToArray();
        Assert.All(experts, e => Assert.Equal((Hidden, Ffn), (e.Hidden, e.Ffn)));
        using var executor = new LocalExpertExecutor(experts);
        var hidden = torch.randn([rows, Hidden], generator: generator);
        var random = new Random(rows);
        var ids = new long[rows * topK];
        var weights = new float[rows * topK];
        for (var r = 0; r < rows; r++)
        {
            // Skewed: expert 0 takes most first picks, as an unbalanced router does.
            var first = random.NextDouble() < 0.6 ? 0 : random.Next(1, 4);
            ids[r * topK] = first;
            weights[r * topK] = (float)random.NextDouble();
            if (topK == 2)
            {
                ids[(r * topK) + 1] = (first + 1 + random.Next(3)) % 4;
                weights[(r * topK) + 1] = (float)random.NextDouble();
            }
        }

        var routing = ExpertRouting.Create(0, 4, topK, ids, weights);
        var actual = executor.Execute(hidden, routing);

        var expected = torch.zeros(rows, Hidden);
        for (var i = 0; i < ids.Length; i++)
        {
            var row = hidden.narrow(0, i / topK, 1);
            var (gateUp, down) = tensors[ids[i]];
            var gu = nn.functional.linear(row, gateUp);
            var y = nn.functional.linear(nn.functional.silu(gu.narrow(1, 0, Ffn)) * gu.narrow(1, Ffn, Ffn), down);
            expected.narrow(0, i / topK, 1).add_(y * weights[i]);
        }

        var scale = expected.abs().max().item<float>();
        var error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= 1e-4 * scale, $"max |Δ| {error} against max |y| {scale}");
    }
}
