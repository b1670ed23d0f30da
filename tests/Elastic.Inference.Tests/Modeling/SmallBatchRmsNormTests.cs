using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class SmallBatchRmsNormTests
{
    private const float Eps = 1e-5f;
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(37)]
    [InlineData(1024)]
    [InlineData(1027)]
    public void Forward_Rows1ToMaxStepRows_MatchesLibtorchOps(int width)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = torch.manual_seed(7);
        var weight = torch.rand(width, generator: generator) + 0.5f;
        foreach (var rows in new[] { 1, 2, 3, 17, 32, 65, 300, RowKernels.MaxStepRows })
        {
            var x = torch.randn(rows, width, generator: generator) * 3f;
            Assert.True(SmallBatchRmsNorm.Applies(x, weight));

            TensorAssert.Close(Reference(x, weight), SmallBatchRmsNorm.Forward(x, weight, Eps), Tolerance, $"{rows} rows × {width}");
        }
    }

    [Fact]
    public void Forward_NonContiguousRows_MatchesLibtorchOps()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = torch.manual_seed(11);
        var weight = torch.rand(64, generator: generator);
        var x = torch.randn(64, 8, generator: generator).t();

        Assert.False(x.is_contiguous());
        TensorAssert.Close(Reference(x, weight), SmallBatchRmsNorm.Forward(x, weight, Eps), Tolerance, "transposed input");
    }

    [Fact]
    public void TensorMath_RmsNorm_TakesTheKernelOnlyForStepSizedRows()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var weight = torch.ones(16);

        Assert.True(SmallBatchRmsNorm.Applies(torch.ones(RowKernels.MaxStepRows, 16), weight));
        Assert.False(SmallBatchRmsNorm.Applies(torch.ones(RowKernels.MaxStepRows + 1, 16), weight));
        Assert.False(SmallBatchRmsNorm.Applies(torch.ones(4, 2, 8), torch.ones(8)));
        Assert.False(SmallBatchRmsNorm.Applies(torch.ones(4, 16), torch.ones(8)));

        // Longer inputs still get the same numbers through the libtorch ops.
        var prompt = torch.randn(RowKernels.MaxStepRows + 5, 16, generator: torch.manual_seed(3));
        TensorAssert.Close(Reference(prompt, weight), TensorMath.RmsNorm(prompt, weight, Eps), Tolerance, "rows beyond a step");
    }

    private static Tensor Reference(Tensor x, Tensor weight) =>
        x * x.square().mean([-1L], keepdim: true).add(Eps).rsqrt() * weight;
}
