using static TorchSharp.torch;

namespace Elastic.Inference.Tests.Modeling;

/// <summary>Comparisons of a kernel's output with the libtorch ops it replaces.</summary>
internal static class TensorAssert
{
    /// <summary>Same shape, and no element differs by more than <paramref name="tolerance"/>.</summary>
    public static void Close(Tensor expected, Tensor actual, float tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= tolerance, $"{what}: max |difference| {difference}");
    }

    /// <summary>Same shape and the same value in every element (the same arithmetic in the same order).</summary>
    public static void Identical(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.equal(actual).all().item<bool>(), $"{what}: values differ (max |difference| {(expected - actual).abs().max().item<float>()})");
    }
}
