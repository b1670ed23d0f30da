using System.Buffers;
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
    public static bool Applies(Tensor x, Tensor gateUp, Tensor down) => x.dim() == 2 && x.shape[0] <= SmallBatchLinear.MaxRows && Supports(x, gateUp, down);

    /// <summary>Whether the kernel can take rows of x (any number, e.g. those routed to one expert) against these weights.</summary>
    public static bool Supports(Tensor x, Tensor gateUp, Tensor down) =>
        SmallBatchLinear.Supports(x, gateUp) && down.dtype == ScalarType.Float32 && down.is_contiguous()
        && gateUp.shape[0] == 2 * down.shape[1] && gateUp.shape[1] == x.shape[1] && down.shape[0] == x.shape[1];

    /// <summary>x [M, H] → [M, H]; gateUp [2F, H] (gate rows first), down [H, F].</summary>
    public static Tensor Forward(Tensor x, Tensor gateUp, Tensor down)
    {
        var input = x.is_contiguous() ? x : x.contiguous();
        var m = (int)input.shape[0];
        var y = torch.empty(m, down.shape[0]);
        fixed (byte* xp = input.bytes)
        fixed (byte* yp = y.bytes)
        {
            Compute((float*)xp, m, gateUp, down, (float*)yp);
        }

        return y;
    }

    /// <summary>y [M, H] = SwiGLU of x [M, H] (raw contiguous fp32 buffers); <paramref name="parallel"/> as in <see cref="SmallBatchLinear.Compute"/>.</summary>
    public static void Compute(float* x, int m, Tensor gateUp, Tensor down, float* y, bool parallel = true)
    {
        var hidden = (int)gateUp.shape[1];
        var ffn = (int)down.shape[1];
        var scratch = ArrayPool<float>.Shared.Rent(m * 3 * ffn);
        try
        {
            fixed (float* s = scratch)
            fixed (byte* gu = gateUp.bytes)
            fixed (byte* dn = down.bytes)
            {
                var gateUpOut = s;
                var act = s + ((long)m * 2 * ffn);
                SmallBatchLinear.Compute((float*)gu, x, gateUpOut, m, hidden, 2 * ffn, parallel);
                for (var r = 0; r < m; r++)
                {
                    SiluMul(gateUpOut + ((long)r * 2 * ffn), gateUpOut + ((long)r * 2 * ffn) + ffn, act + ((long)r * ffn), ffn);
                }

                SmallBatchLinear.Compute((float*)dn, act, y, m, ffn, hidden, parallel);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>dst = silu(gate) * up, silu(g) = g / (1 + e^-g) as libtorch computes it.</summary>
    private static void SiluMul(float* gate, float* up, float* dst, int n)
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
