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

    /// <summary>x·Wᵀ (+ b): a bandwidth-bound kernel for the few rows of a decode step, libtorch's GEMM otherwise.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        SmallBatchLinear.Applies(x, weight) ? SmallBatchLinear.Forward(x, weight, bias) : nn.functional.linear(x, weight, bias);

    /// <summary>down(silu(gate(x)) * up(x)) with gate and up stored as one fused [2F, H] weight.</summary>
    public static Tensor SwiGlu(Tensor x, Tensor gateUp, Tensor down)
    {
        if (SmallBatchSwiGlu.TryForward(x, gateUp, down, out var y))
        {
            return y;
        }

        var gu = Linear(x, gateUp);
        var ffn = gateUp.shape[0] / 2;
        var gate = gu.narrow(-1, 0, ffn);
        var up = gu.narrow(-1, ffn, ffn);
        return Linear(nn.functional.silu(gate) * up, down);
    }
}
