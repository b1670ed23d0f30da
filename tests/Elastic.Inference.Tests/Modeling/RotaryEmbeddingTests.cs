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
        var (cos, sin) = rope.Gather(torch.randint(0, 512, [rows], generator: generator).data<long>().ToArray());
        var x = torch.randn(rows, heads, headDim, generator: generator);

        TensorAssert.Close(Reference(x, cos, sin), RotaryEmbedding.Apply(x, cos, sin), Tolerance, $"{rows} rows × {heads} heads × {headDim}");
    }

    [Fact]
    public void Apply_ViewOfAFusedProjection_MatchesRotateHalfFormula()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        using var rope = new RotaryEmbedding(8, 10000, 64);
        var (cos, sin) = rope.Gather([0, 1, 2]);
        // q as DecoderLayer takes it: a narrow of [rows, q + k + v] reshaped to [rows, heads, headDim].
        var qkv = torch.randn(3, 40, generator: torch.manual_seed(9));
        var q = qkv.narrow(1, 8, 16).reshape(3, 2, 8);

        var y = RotaryEmbedding.Apply(q, cos, sin);

        TensorAssert.Close(Reference(q, cos, sin), y, Tolerance, "view of qkv");
        Assert.True(y.is_contiguous());
    }

    [Theory]
    [InlineData(1, 4, 2, 32)] // a decode row of the default model's shape
    [InlineData(32, 4, 2, 32)]
    [InlineData(7, 3, 1, 40)] // 16 lanes, then a scalar tail
    [InlineData(5, 2, 2, 6)] // scalar only
    public void RotateInPlace_FusedProjection_RotatesQAndKHeadsAsApply_AndLeavesVAlone(int rows, int heads, int kvHeads, int headDim)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        using var rope = new RotaryEmbedding(headDim, 10000, 512);
        var generator = torch.manual_seed(rows + headDim);
        var (cos, sin) = rope.Gather(torch.randint(0, 512, [rows], generator: generator).data<long>().ToArray());
        var qSize = heads * headDim;
        var kvSize = kvHeads * headDim;
        var qkv = torch.randn(rows, qSize + (2 * kvSize), generator: generator);
        var q = qkv.narrow(1, 0, qSize).reshape(rows, heads, headDim);
        var k = qkv.narrow(1, qSize, kvSize).reshape(rows, kvHeads, headDim);
        var v = qkv.narrow(1, qSize + kvSize, kvSize).clone();
        var expectedQ = RotaryEmbedding.Apply(q, cos, sin);
        var expectedK = RotaryEmbedding.Apply(k, cos, sin);

        Assert.True(RotaryEmbedding.RotatesInPlace(qkv, qSize + (2 * kvSize), cos, sin, headDim));
        RotaryEmbedding.RotateInPlace(qkv, heads + kvHeads, headDim, cos, sin);

        // The same arithmetic in the same order as Apply's kernel: equal bits, not just close.
        TensorAssert.Identical(expectedQ, qkv.narrow(1, 0, qSize).reshape(rows, heads, headDim), "q heads");
        TensorAssert.Identical(expectedK, qkv.narrow(1, qSize, kvSize).reshape(rows, kvHeads, headDim), "k heads");
        TensorAssert.Identical(v, qkv.narrow(1, qSize + kvSize, kvSize), "v heads must not move");
    }

    [Fact]
    public void RotatesInPlace_TablesOfOtherRowsOrANarrowerProjection_IsFalse()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        using var rope = new RotaryEmbedding(8, 10000, 64);
        var (cos, sin) = rope.Gather([0, 1, 2]);
        var qkv = torch.randn(3, 32);

        Assert.True(RotaryEmbedding.RotatesInPlace(qkv, 32, cos, sin, 8));
        Assert.False(RotaryEmbedding.RotatesInPlace(qkv, 40, cos, sin, 8));
        Assert.False(RotaryEmbedding.RotatesInPlace(torch.randn(4, 32), 32, cos, sin, 8));
        Assert.False(RotaryEmbedding.RotatesInPlace(torch.randn(3, 64).narrow(1, 0, 32), 32, cos, sin, 8));
    }

    private static Tensor Reference(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = torch.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos) + (rotated * sin);
    }
}
