using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class SmallBatchLinearTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool>();
        // Small (one thread) and above the parallel threshold (split over the compute pool); odd K and N
        // exercise the vector tails and the uneven parts, K = 128 the tiles' whole-vector stores (no K tail).
        foreach (var (k, n) in new[] { (37, 13), (128, 21), (1027, 529) })
        {
            data.Add(k, n, false);
            data.Add(k, n, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_Rows1ToMaxRows_MatchesLibtorchLinear(int k, int n, bool withBias)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: (ulong)(k * 31 + n));
        var weight = torch.randn([n, k], generator: generator);
        var bias = withBias ? torch.randn([n], generator: generator) : null;
        for (var rows = 1; rows <= SmallBatchLinear.MaxRows; rows++)
        {
            var x = torch.randn([rows, k], generator: generator);
            Assert.True(SmallBatchLinear.Applies(x, weight));
            var expected = nn.functional.linear(x, weight, bias);
            var actual = SmallBatchLinear.Forward(x, weight, bias);
            Assert.Equal(expected.shape, actual.shape);
            AssertClose(expected, actual, $"rows {rows}, K {k}, N {n}, bias {withBias}");
        }
    }

    [Fact]
    public void Forward_NonContiguousInput_MatchesLibtorchLinear()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: 7);
        var weight = torch.randn([65, 33], generator: generator);
        var x = torch.randn([33, 3], generator: generator).t();
        AssertClose(nn.functional.linear(x, weight), SmallBatchLinear.Forward(x, weight, null), "transposed input");
    }

    [Fact]
    public void SwiGluWeights_TakeOnlyContiguousFp32WeightsOfMatchingShapes()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var gateUp = torch.randn(2 * 6, 4);
        var down = torch.randn(4, 6);

        Assert.True(SwiGluWeights.TryCreate(gateUp, down, out var view));
        Assert.Equal((4, 6), (view.Hidden, view.Ffn));
        Assert.False(SwiGluWeights.TryCreate(torch.randn(4, 2 * 6).t(), down, out _), "strided gate/up");
        Assert.False(SwiGluWeights.TryCreate(gateUp, torch.randn(6, 4).t(), out _), "strided down");
        Assert.False(SwiGluWeights.TryCreate(gateUp.to(ScalarType.Float64), down, out _), "fp64");
        Assert.False(SwiGluWeights.TryCreate(torch.randn(2 * 5, 4), down, out _), "gate/up rows not 2 × down's columns");
        Assert.False(SwiGluWeights.TryCreate(gateUp, torch.randn(5, 6), out _), "down rows not the hidden size");
        Assert.False(SwiGluWeights.TryCreate(gateUp.reshape(2, 6, 4), down, out _), "3-D gate/up");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(24)]
    [InlineData(64)]
    public void SwiGlu_SmallBatch_MatchesLibtorchOps(int rows)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: (ulong)rows);
        const int hidden = 67, ffn = 45;
        var gateUp = torch.randn([2 * ffn, hidden], generator: generator);
        var down = torch.randn([hidden, ffn], generator: generator);
        var x = torch.randn([rows, hidden], generator: generator);
        var gu = nn.functional.linear(x, gateUp);
        var expected = nn.functional.linear(nn.functional.silu(gu.narrow(1, 0, ffn)) * gu.narrow(1, ffn, ffn), down);

        Assert.True(SmallBatchSwiGlu.TryForward(x, gateUp, down, out var y));
        AssertClose(expected, y, $"SwiGLU rows {rows}");
        AssertClose(expected, TensorMath.SwiGlu(x, gateUp, down), $"TensorMath.SwiGlu rows {rows}");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        // Relative to the output's scale: summation order differs from libtorch's, so single outputs near zero
        // can differ relatively more while the error against the magnitude of the terms stays at fp32 rounding.
        var scale = expected.abs().max().item<float>();
        var error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= Tolerance * Math.Max(scale, 1e-6f), $"{what}: max |Δ| {error} against max |y| {scale}");
    }
}
