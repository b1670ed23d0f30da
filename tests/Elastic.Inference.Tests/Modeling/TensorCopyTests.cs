using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class TensorCopyTests
{
    [Fact]
    public void ToArray_Contiguous_CopiesRowMajor()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var t = torch.arange(12, dtype: ScalarType.Float32).reshape(3, 4);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), TensorCopy.ToArray<float>(t));
    }

    [Fact]
    public void ToArray_TransposedView_CopiesLogicalOrder()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var t = torch.arange(6, dtype: ScalarType.Int64).reshape(2, 3).t();

        Assert.False(t.is_contiguous());
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, TensorCopy.ToArray<long>(t));
    }

    [Fact]
    public void ToArray_CopyIsIndependentOfTheTensor()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var t = torch.ones(4);
        var copy = TensorCopy.ToArray<float>(t);
        t.fill_(7);

        Assert.All(copy, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void ToArray_WrongElementType_NamesBothTypes()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => TensorCopy.ToArray<float>(torch.zeros(3, dtype: ScalarType.Int64)));

        Assert.Contains("Float32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Int64", ex.Message, StringComparison.Ordinal);
    }
}
