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
}
