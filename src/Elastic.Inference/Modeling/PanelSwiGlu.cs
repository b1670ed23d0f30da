using System.Buffers;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// One SwiGLU, down(silu(gate(x)) * up(x)), with its weights packed for <see cref="PanelLinear"/>: how experts are
/// held and computed, for a decode step's few rows and a prefill's many alike. Owns the packed weights (native memory).
/// </summary>
internal sealed unsafe class PanelSwiGlu : IDisposable
{
    // Rows computed per pass: bounds the scratch (rows × 3F floats) for long prompts and wide models, and keeps a
    // pass's gathered input in L2 while every panel reads it.
    private const int RowsPerPass = 128;

    private readonly PanelWeight _gateUp;
    private readonly PanelWeight _down;

    private PanelSwiGlu(PanelWeight gateUp, PanelWeight down)
    {
        _gateUp = gateUp;
        _down = down;
    }

    public int Hidden => _down.Outputs;

    public int Ffn => _down.Inputs;

    public long Bytes => _gateUp.Bytes + _down.Bytes;

    public bool IsDisposed => _gateUp.IsDisposed;

    /// <summary>gate_up and down packed from gateUp [2F, H] (gate rows first) and down [H, F]; the tensors are read, not kept.</summary>
    public static PanelSwiGlu Pack(Tensor gateUp, Tensor down)
    {
        ArgumentNullException.ThrowIfNull(gateUp);
        ArgumentNullException.ThrowIfNull(down);
        if (gateUp.dim() != 2 || down.dim() != 2 || down.size(0) == 0 || down.size(1) == 0
            || gateUp.size(0) != 2 * down.size(1) || gateUp.size(1) != down.size(0))
        {
            throw new ArgumentException(
                $"SwiGLU weights must be gate_up [2F, H] and down [H, F]; got gate_up [{string.Join(", ", gateUp.shape)}] and down [{string.Join(", ", down.shape)}]");
        }

        var packedGateUp = PanelWeight.Pack(gateUp);
        try
        {
            return new PanelSwiGlu(packedGateUp, PanelWeight.Pack(down));
        }
        catch
        {
            packedGateUp.Dispose();
            throw;
        }
    }

    /// <summary>y [M, H] = SwiGLU of x [M, H], raw contiguous fp32 rows; <paramref name="parallel"/> as in <see cref="PanelLinear.Compute"/>.</summary>
    public void Compute(float* x, int m, float* y, bool parallel = true)
    {
        var hidden = Hidden;
        var ffn = Ffn;
        var rows = Math.Min(m, RowsPerPass);
        var scratch = ArrayPool<float>.Shared.Rent(rows * 3 * ffn);
        try
        {
            fixed (float* s = scratch)
            {
                var gateUpOut = s;
                var act = s + ((long)rows * 2 * ffn);
                for (var r0 = 0; r0 < m; r0 += RowsPerPass)
                {
                    var count = Math.Min(RowsPerPass, m - r0);
                    PanelLinear.Compute(_gateUp, x + ((long)r0 * hidden), gateUpOut, count, parallel);
                    for (var r = 0; r < count; r++)
                    {
                        SiluMul(gateUpOut + ((long)r * 2 * ffn), gateUpOut + ((long)r * 2 * ffn) + ffn, act + ((long)r * ffn), ffn);
                    }

                    PanelLinear.Compute(_down, act, y + ((long)r0 * hidden), count, parallel);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>x [M, H] (any fp32-convertible CPU rows) → [M, H] fp32.</summary>
    public Tensor Forward(Tensor x)
    {
        // No dispose scope of its own: a converted input, if any, belongs to the caller's scope as the result does.
        var input = RowKernels.Fp32Rows(x, Hidden, "SwiGLU");
        var m = (int)input.size(0);
        var y = torch.empty(m, Hidden);
        Compute(TensorData.Floats(input), m, TensorData.Floats(y));
        GC.KeepAlive(input);
        return y;
    }

    public void Dispose()
    {
        _gateUp.Dispose();
        _down.Dispose();
    }

    /// <summary>dst = silu(gate) * up, silu(g) = g / (1 + e^-g) as libtorch computes it.</summary>
    private static void SiluMul(float* gate, float* up, float* dst, int n)
    {
        var i = 0;
        var one = Vector512<float>.One;
        for (; i + 16 <= n; i += 16)
        {
            var g = Vector512.Load(gate + i);
            var silu = g / (one + FastExp.Exp(-g));
            (silu * Vector512.Load(up + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            var g = gate[i];
            dst[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
