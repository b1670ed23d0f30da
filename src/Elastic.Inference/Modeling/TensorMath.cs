using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>The small math pieces every family shares.</summary>
internal static class TensorMath
{
    /// <summary>
    /// a + b with the scalar alpha held alive for the whole native call. TorchSharp's operators create a temporary
    /// Scalar and pass its handle on; if the GC finalizes it mid-call, libtorch reads a freed scalar
    /// ("Expected false to be true ... toFloat at c10/core/Scalar.h"), which was seen intermittently in decode steps.
    /// </summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        using var one = 1.ToScalar();
        return a.add(b, one);
    }

    /// <summary>RMSNorm over the last dimension, in fp32, as all supported families define it.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps)
    {
        if (SmallBatchRmsNorm.Applies(x, weight))
        {
            return SmallBatchRmsNorm.Forward(x, weight, eps);
        }

        var variance = x.square().mean([-1L], keepdim: true);
        using var epsilon = eps.ToScalar();
        return x * variance.add_(epsilon).rsqrt() * weight;
    }
}
