using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class TensorRowsTests
{
    [Fact]
    public void Copy_RepeatedAndUnorderedRows_EqualsIndexSelect()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var table = torch.randn(10, 6, generator: torch.manual_seed(3));
        long[] indices = [7, 0, 7, 9, 3];
        var destination = torch.empty(5, 1, 6);

        TensorRows.Copy(table, indices, destination);

        TensorAssert.Identical(table.index_select(0, torch.tensor(indices)).unsqueeze(1), destination, "gathered rows");
    }

    [Fact]
    public void Copy_BadInput_NamesWhatIsWrong_AndWritesNothing()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var table = torch.randn(4, 3);
        var destination = torch.zeros(2, 3);

        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => TensorRows.Copy(table, [1, 4], destination));
        Assert.Contains("row 4 is outside the table's 4 rows", outside.Message, StringComparison.Ordinal);
        Assert.Contains("must be contiguous fp32 with 3 × 3 elements", Assert.Throws<ArgumentException>(() => TensorRows.Copy(table, [0, 1, 2], destination)).Message, StringComparison.Ordinal);
        Assert.Contains("contiguous 2-D fp32", Assert.Throws<ArgumentException>(() => TensorRows.Copy(table.to(ScalarType.Float64), [0], torch.zeros(1, 3))).Message, StringComparison.Ordinal);
        Assert.Equal(0f, destination.abs().sum().item<float>());
    }
}
