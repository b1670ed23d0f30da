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
    [InlineData(3, 2, false)]
    [InlineData(40, 2, false)] // 80 picks over 4 experts: above the small-batch kernel's rows for the whole step, below it per expert
    [InlineData(150, 1, false)] // the first expert gets more rows than a decode step has: a prefill-sized group, still the kernel
    [InlineData(4000, 1, false)] // the first expert's rows exceed the kernel's input budget: libtorch GEMM for it, the kernel for the rest
    [InlineData(12, 2, true)] // experts 1 and 3 hold transposed (strided) views the kernel cannot read: libtorch runs those
    public void Execute_MatchesPerRowWeightedSum(int rows, int topK, bool stridedOddExperts)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: (ulong)(rows * 7 + topK));
        var experts = Enumerable.Range(0, 4)
            .Select(e => stridedOddExperts && e % 2 == 1
                ? new ExpertWeights(new ExpertKey(0, e), torch.randn([Hidden, 2 * Ffn], generator: generator).t(), torch.randn([Ffn, Hidden], generator: generator).t())
                : new ExpertWeights(new ExpertKey(0, e), torch.randn([2 * Ffn, Hidden], generator: generator), torch.randn([Hidden, Ffn], generator: generator)))
            .ToArray();
        Assert.All(experts, e => Assert.Equal(!(stridedOddExperts && e.Key.Expert % 2 == 1), e.SmallBatch.HasValue));
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
            var expert = experts[ids[i]];
            var gu = nn.functional.linear(row, expert.GateUp);
            var y = nn.functional.linear(nn.functional.silu(gu.narrow(1, 0, Ffn)) * gu.narrow(1, Ffn, Ffn), expert.Down);
            expected.narrow(0, i / topK, 1).add_(y * weights[i]);
        }

        var scale = expected.abs().max().item<float>();
        var error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= 1e-4 * scale, $"max |Δ| {error} against max |y| {scale}");
        if (rows == 150)
        {
            Assert.Contains(routing.Groups, g => g.Rows.Length > SmallBatchLinear.MaxRows && g.Rows.Length <= LocalExpertExecutor.SmallBatchRows(Hidden));
        }

        if (rows == 4000)
        {
            Assert.Contains(routing.Groups, g => g.Rows.Length > LocalExpertExecutor.SmallBatchRows(Hidden));
        }
    }
}
