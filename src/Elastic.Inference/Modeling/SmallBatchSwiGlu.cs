using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// down(silu(gate(x)) * up(x)) for the few rows of a decode step, straight over the weights with
/// <see cref="SmallBatchLinear"/> and no libtorch ops in between (each small op costs microseconds here,
/// and a batch-1 step runs two experts in each of its layers).
/// </summary>
internal static unsafe class SmallBatchSwiGlu
{
    /// <summary>
    /// x [M, H] → [M, H] with gateUp [2F, H] (gate rows first) and down [H, F], when the kernel takes them: at most
    /// <see cref="SmallBatchLinear.MaxRows"/> fp32 CPU rows and weights <see cref="SwiGluWeights"/> accepts. The weights
    /// are checked once per call, here.
    /// </summary>
    public static bool TryForward(Tensor x, Tensor gateUp, Tensor down, [NotNullWhen(true)] out Tensor? y)
    {
        y = null;
        if (!SmallBatchLinear.TakesRows(x) || x.shape[0] > SmallBatchLinear.MaxRows
            || !SwiGluWeights.TryCreate(gateUp, down, out var weights) || weights.Hidden != x.shape[1])
        {
            return false;
        }

        var input = x.is_contiguous() ? x : x.contiguous();
        var m = (int)input.shape[0];
        y = torch.empty(m, weights.Hidden);
        fixed (byte* xp = input.bytes)
        fixed (byte* yp = y.bytes)
        {
            Compute((float*)xp, m, weights, (float*)yp);
        }

        return true;
    }

    /// <summary>y [M, H] = SwiGLU of x [M, H] (raw contiguous fp32 buffers); <paramref name="parallel"/> as in <see cref="SmallBatchLinear.Compute"/>.</summary>
    public static void Compute(float* x, int m, SwiGluWeights weights, float* y, bool parallel = true)
    {
        var hidden = weights.Hidden;
        var ffn = weights.Ffn;
        var scratch = ArrayPool<float>.Shared.Rent(m * 3 * ffn);
        try
        {
            fixed (float* s = scratch)
            {
                var gateUpOut = s;
                var act = s + ((long)m * 2 * ffn);
                SmallBatchLinear.Compute(weights.GateUp, x, gateUpOut, m, hidden, 2 * ffn, parallel);
                for (var r = 0; r < m; r++)
                {
                    SiluMul(gateUpOut + ((long)r * 2 * ffn), gateUpOut + ((long)r * 2 * ffn) + ffn, act + ((long)r * ffn), ffn);
                }

                SmallBatchLinear.Compute(weights.Down, act, y, m, ffn, hidden, parallel);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>dst = silu(gate) * up, silu(g) = g / (1 + e^-g) as libtorch computes it.</summary>
    internal static void SiluMul(float* gate, float* up, float* dst, int n)
    {
        var i = 0;
        var one = Vector512<float>.One;
        for (; i + 16 <= n; i += 16)
        {
            var g = Vector512.Load(gate + i);
            var silu = g / (one + Vector512.Exp(-g));
            (silu * Vector512.Load(up + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            var g = gate[i];
            dst[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}

/// <summary>
/// Raw view of one SwiGLU's weights for the small-batch kernel, checked once: an expert shard ran ~20 libtorch calls
/// per expert and step (dtype, contiguity, shapes, data pointers) before this, a few percent of a 32-stream server.
/// Valid while the tensors live; libtorch does not move a tensor's storage.
/// </summary>
internal readonly unsafe struct SwiGluWeights
{
    private SwiGluWeights(float* gateUp, float* down, int hidden, int ffn)
    {
        GateUp = gateUp;
        Down = down;
        Hidden = hidden;
        Ffn = ffn;
    }

    /// <summary>gate and up rows, [2F, H].</summary>
    public float* GateUp { get; }

    /// <summary>[H, F].</summary>
    public float* Down { get; }

    public int Hidden { get; }

    public int Ffn { get; }

    /// <summary>The view, when both are contiguous fp32 CPU tensors shaped gateUp [2F, H] and down [H, F].</summary>
    public static bool TryCreate(Tensor gateUp, Tensor down, out SwiGluWeights weights)
    {
        weights = default;
        if (gateUp.dim() != 2 || down.dim() != 2
            || gateUp.dtype != ScalarType.Float32 || down.dtype != ScalarType.Float32
            || gateUp.device_type != DeviceType.CPU || down.device_type != DeviceType.CPU
            || !gateUp.is_contiguous() || !down.is_contiguous())
        {
            return false;
        }

        var hidden = gateUp.shape[1];
        var ffn = down.shape[1];
        if (gateUp.shape[0] != 2 * ffn || down.shape[0] != hidden || hidden == 0 || ffn == 0)
        {
            return false;
        }

        weights = new SwiGluWeights(TensorData.Floats(gateUp), TensorData.Floats(down), (int)hidden, (int)ffn);
        return true;
    }
}
