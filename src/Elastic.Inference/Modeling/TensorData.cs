using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>Raw element pointers of CPU tensors for the engine's own kernels.</summary>
internal static unsafe class TensorData
{
    /// <summary>
    /// The first element of an fp32 tensor's storage. libtorch does not move a tensor's storage, so the pointer stays
    /// valid while the tensor lives; the caller keeps it alive and checks dtype and layout.
    /// </summary>
    public static float* Floats(Tensor t)
    {
        fixed (byte* p = t.bytes)
        {
            return (float*)p;
        }
    }
}
