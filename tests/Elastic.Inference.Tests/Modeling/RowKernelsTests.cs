using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class RowKernelsTests
{
    [Theory]
    [InlineData(1, 128)] // a decode row of the default model
    [InlineData(32, 128)]
    [InlineData(3, 21)] // 16 lanes, then a scalar tail
    public void AddInPlace_ContiguousRows_GivesLibtorchsSumInTheFirstTensor(int rows, int width)
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var generator = torch.manual_seed(rows + width);
        var x = torch.randn(rows, width, generator: generator);
        var y = torch.randn(rows, width, generator: generator);
        var expected = x + y;
        var yBefore = y.clone();

        RowKernels.AddInPlace(x, y);

        TensorAssert.Identical(expected, x, $"{rows} × {width}");
        TensorAssert.Identical(yBefore, y, "the added tensor must not change");
    }

    [Fact]
    public void AddInPlace_NonContiguousAddend_FallsBackToLibtorch_WithTheSameResult()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(4, 6, generator: torch.manual_seed(1));
        var y = torch.randn(6, 4, generator: torch.manual_seed(2)).t();
        var expected = x + y;

        RowKernels.AddInPlace(x, y);

        TensorAssert.Identical(expected, x, "transposed addend");
    }

    [Fact]
    public void AddInPlace_DifferentShapes_NamesBoth_AndChangesNothing()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(2, 3);

        var error = Assert.Throws<ArgumentException>(() => RowKernels.AddInPlace(x, torch.ones(3, 2)));

        Assert.Contains("equal shapes; got [3, 2] to add to [2, 3]", error.Message, StringComparison.Ordinal);
        Assert.Equal(0f, x.abs().sum().item<float>());
    }
}
