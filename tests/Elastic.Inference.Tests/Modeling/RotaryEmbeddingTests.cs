using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class RotaryEmbeddingTests
{
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(1, 4, 32)]
    [InlineData(32, 16, 64)]
    [InlineData(64, 2, 6)]
    [InlineData(300, 6, 32)] // a prefill step's rows, 16-lane halves
    [InlineData(65, 4, 128)] // 16-lane halves four times over
    [InlineData(33, 2, 40)] // 16 lanes, then a scalar tail
    [InlineData(RowKernels.MaxStepRows + 1, 1, 32)] // above the row kernel's limit: libtorch ops
    public void Apply_MatchesRotateHalfFormula(int rows, int heads, int headDim)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        using var rope = new RotaryEmbedding(headDim, 10000, 512);
        var generator = torch.manual_seed(5);
        var (cos, sin) = rope.Gather(torch.randint(0, 512, [rows], generator: generator));
        var x = torch.randn(rows, heads, headDim, generator: generator);

        TensorAssert.Close(Reference(x, cos, sin), RotaryEmbedding.Apply(x, cos, sin), Tolerance, $"{rows} rows × {heads} heads × {headDim}");
    }

    [Fact]
    public void Apply_ViewOfAFusedProjection_MatchesRotateHalfFormula()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        using var rope = new RotaryEmbedding(8, 10000, 64);
        var (cos, sin) = rope.Gather(torch.arange(3, dtype: ScalarType.Int64));
        // q as DecoderLayer takes it: a narrow of [rows, q + k + v] reshaped to [rows, heads, headDim].
        var qkv = torch.randn(3, 40, generator: torch.manual_seed(9));
        var q = qkv.narrow(1, 8, 16).reshape(3, 2, 8);

        var y = RotaryEmbedding.Apply(q, cos, sin);

        TensorAssert.Close(Reference(q, cos, sin), y, Tolerance, "view of qkv");
        Assert.True(y.is_contiguous());
    }

    private static Tensor Reference(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = torch.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos) + (rotated * sin);
    }
}
