using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed unsafe class PanelLinearTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<int, int> Shapes() => new()
    {
        { 37, 13 },    // one padded panel
        { 128, 640 },  // the default model's gate/up: ten whole panels
        { 320, 128 },  // its down projection: two panels, rows split for the threads
        { 45, 90 },    // a whole panel and a padded one
        { 1027, 529 }, // above the parallel threshold from one row on: panels and row blocks over the compute pool
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_AnyRowCount_MatchesLibtorchLinear(int k, int n)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: (ulong)((k * 31) + n));
        var weight = torch.randn([n, k], generator: generator);
        using var packed = PanelWeight.Pack(TensorData.Floats(weight), n, k);
        foreach (var rows in new[] { 1, 2, 3, 4, 5, 6, 7, 9, 64, 130 })
        {
            var x = torch.randn([rows, k], generator: generator);
            var expected = nn.functional.linear(x, weight);
            foreach (var parallel in new[] { false, true })
            {
                var y = torch.full([rows, n], float.NaN);
                PanelLinear.Compute(packed, TensorData.Floats(x), TensorData.Floats(y), rows, parallel);
                AssertClose(expected, y, $"rows {rows}, K {k}, N {n}, parallel {parallel}");
            }
        }
    }

    [Fact]
    public void Forward_StridedInputAndBias_MatchesLibtorchLinear()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(seed: 7);
        var weight = torch.randn([65, 33], generator: generator);
        var bias = torch.randn([65], generator: generator);
        var x = torch.randn([33, 3], generator: generator).t();
        using var packed = PanelWeight.Pack(weight.t().contiguous().t()); // a strided view of the weight packs the same

        AssertClose(nn.functional.linear(x, weight, bias), PanelLinear.Forward(x, packed, bias), "transposed input, bias");
        var wrong = Assert.Throws<ArgumentException>(() => PanelLinear.Forward(torch.randn(2, 32), packed));
        Assert.Contains("[rows, 33]; got [2, 32]", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_KeepsEveryWeight_AndPadsTheLastPanelWithZeros()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var weight = torch.arange(70 * 3, dtype: ScalarType.Float32).reshape(70, 3);
        using var packed = PanelWeight.Pack(TensorData.Floats(weight), 70, 3);

        Assert.Equal((70, 3, 2), (packed.Outputs, packed.Inputs, packed.Panels));
        Assert.Equal(2L * PanelWeight.Width * 3 * sizeof(float), packed.Bytes);
        for (var row = 0; row < 70; row++)
        {
            for (var k = 0; k < 3; k++)
            {
                Assert.Equal((row * 3) + k, packed[row, k]);
            }
        }

        Assert.All(Enumerable.Range(70, 128 - 70), row => Assert.Equal(0f, packed.Panel(1)[(2 * PanelWeight.Width) + (row % PanelWeight.Width)]));
    }

    [Fact]
    public void Dispose_FreesOnce_AndLaterReadsThrow()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var weight = torch.ones(4, 4);
        var packed = PanelWeight.Pack(TensorData.Floats(weight), 4, 4);

        packed.Dispose();
        packed.Dispose();

        Assert.True(packed.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => packed[0, 0]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(300)] // three passes of the SwiGLU's row blocks
    public void SwiGlu_MatchesLibtorchOps(int rows)
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

        using var swiGlu = PanelSwiGlu.Pack(gateUp, down);

        Assert.Equal((hidden, ffn), (swiGlu.Hidden, swiGlu.Ffn));
        AssertClose(expected, swiGlu.Forward(x), $"SwiGLU rows {rows}");
        AssertClose(expected, swiGlu.Forward(x.to(ScalarType.Float64)), $"SwiGLU rows {rows}, fp64 input");
    }

    [Fact]
    public void SwiGlu_WeightsOrInputOfTheWrongShape_NameWhatIsWrong()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();

        var mismatched = Assert.Throws<ArgumentException>(() => PanelSwiGlu.Pack(torch.randn(10, 4), torch.randn(4, 6)));
        Assert.Contains("gate_up [10, 4] and down [4, 6]", mismatched.Message, StringComparison.Ordinal);
        using var swiGlu = PanelSwiGlu.Pack(torch.randn(12, 4), torch.randn(4, 6));
        var wrongWidth = Assert.Throws<ArgumentException>(() => swiGlu.Forward(torch.randn(2, 5)));
        Assert.Contains("[rows, 4]; got [2, 5]", wrongWidth.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        // Relative to the output's scale: the summation order differs from libtorch's, so single outputs near zero
        // can differ relatively more while the error against the magnitude of the terms stays at fp32 rounding.
        var scale = expected.abs().max().item<float>();
        var error = (expected.to(ScalarType.Float32) - actual).abs().max().item<float>();
        Assert.True(error <= Tolerance * Math.Max(scale, 1e-6f), $"{what}: max |Δ| {error} against max |y| {scale}");
    }
}
