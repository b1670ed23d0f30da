using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>What the engine's own row kernels (linears, norms, rotary, attention) take: fp32 rows in CPU memory.</summary>
internal static class RowKernels
{
    /// <summary>
    /// Most rows the one-pass row kernels (norm, rotary) take: a whole step's decode rows and prefill chunks (at most
    /// the engine's token budget, 1,024 by default). Longer inputs, e.g. a long prompt forwarded in one call, keep
    /// libtorch's ops, which split them over the cores.
    /// </summary>
    public const int MaxStepRows = 4096;

    // Shapes are read with size(dim) throughout the step's code: TorchSharp's shape property allocates a new array
    // (136 bytes) per read, and a decode step read it ~100 times.

    /// <summary>Whether x holds at most <see cref="MaxStepRows"/> fp32 CPU rows along its first dimension.</summary>
    public static bool IsStepSized(Tensor x) =>
        x.dim() >= 1 && x.size(0) <= MaxStepRows && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU;

    /// <summary>
    /// x, checked to be [rows, <paramref name="width"/>], as contiguous fp32 CPU memory (see <see cref="Fp32Rows(Tensor)"/>);
    /// <paramref name="what"/> names the operation in the error.
    /// </summary>
    public static Tensor Fp32Rows(Tensor x, long width, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 2 || x.size(1) != width)
        {
            throw new ArgumentException($"{what} input must be [rows, {width}]; got [{string.Join(", ", x.shape)}]", nameof(x));
        }

        return Fp32Rows(x);
    }

    /// <summary>t as contiguous fp32 CPU memory: t itself when it already is, else a converted copy.</summary>
    public static Tensor Fp32Rows(Tensor t)
    {
        var cpu = t.device_type == DeviceType.CPU ? t : t.cpu();
        var fp32 = cpu.dtype == ScalarType.Float32 ? cpu : cpu.to(ScalarType.Float32);
        return fp32.is_contiguous() ? fp32 : fp32.contiguous();
    }

    /// <summary>
    /// x += y, elementwise over same-shaped fp32 CPU tensors, in place: a layer's residual adds on the step's own
    /// residual stream. A libtorch add costs ~2 µs a call in allocation and dispatch, eight a decode step, for 128-float
    /// rows; contiguous inputs take a plain loop, anything else libtorch's add_.
    /// </summary>
    public static unsafe void AddInPlace(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var same = x.dim() == y.dim();
        for (var d = 0; same && d < x.dim(); d++)
        {
            same = x.size(d) == y.size(d);
        }

        if (!same)
        {
            throw new ArgumentException($"a residual add needs equal shapes; got [{string.Join(", ", y.shape)}] to add to [{string.Join(", ", x.shape)}]", nameof(y));
        }

        var n = x.numel();

        if (!IsStepSized(x) || !IsStepSized(y) || !x.is_contiguous() || !y.is_contiguous() || n > int.MaxValue)
        {
            using var one = 1.ToScalar();
            x.add_(y, one);
            return;
        }

        var a = TensorData.Floats(x);
        var b = TensorData.Floats(y);
        var i = 0L;
        for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
        {
            (Vector512.Load(a + i) + Vector512.Load(b + i)).Store(a + i);
        }

        for (; i < n; i++)
        {
            a[i] += b[i];
        }

        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }
}
