using System.Runtime.InteropServices;

namespace Elastic.Inference.Modeling;

/// <summary>
/// A weight W [N, K] (y = x·Wᵀ) stored for <see cref="PanelLinear"/>: column panels of <see cref="Width"/> outputs,
/// panel p holding W[p·64 .. p·64+63, k] at [k, 0..63], so that one input element multiplies 64 consecutive outputs
/// (the layout BLAS kernels pack their B operand into). A last panel narrower than 64 outputs is padded with zeros.
/// Owns native, 64-byte aligned memory: dispose it, and do not dispose it while a computation reads it.
/// </summary>
internal sealed unsafe class PanelWeight : IDisposable
{
    /// <summary>Outputs per panel: four 512-bit vectors.</summary>
    public const int Width = 64;

    private nint _data;

    private PanelWeight(nint data, int outputs, int inputs)
    {
        _data = data;
        Outputs = outputs;
        Inputs = inputs;
    }

    ~PanelWeight() => Free();

    /// <summary>N.</summary>
    public int Outputs { get; }

    /// <summary>K.</summary>
    public int Inputs { get; }

    public int Panels => (Outputs + Width - 1) / Width;

    public long Bytes => (long)Panels * Width * Inputs * sizeof(float);

    public bool IsDisposed => _data == 0;

    /// <summary>Packs a weight matrix [N, K] (any dtype, layout or CPU device); the caller keeps the tensor.</summary>
    public static PanelWeight Pack(TorchSharp.torch.Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() != 2)
        {
            throw new ArgumentException($"a linear weight must be [outputs, inputs]; got [{string.Join(", ", weight.shape)}]", nameof(weight));
        }

        using var scope = TorchSharp.torch.NewDisposeScope();
        var rows = RowKernels.Fp32Rows(weight);
        return Pack(TensorData.Floats(rows), (int)rows.shape[0], (int)rows.shape[1]);
    }

    /// <summary>Packs w [N, K], row-major fp32; reads it and keeps nothing of it.</summary>
    public static PanelWeight Pack(float* w, int outputs, int inputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        var panels = (outputs + Width - 1) / Width;
        var bytes = (nuint)((long)panels * Width * inputs * sizeof(float));
        var data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(data, bytes);
        for (var row = 0; row < outputs; row++)
        {
            // Reads each weight row once, in order; writes it down one column of its panel.
            var src = w + ((long)row * inputs);
            var dst = data + ((long)(row / Width) * inputs * Width) + (row % Width);
            for (var k = 0; k < inputs; k++)
            {
                dst[(long)k * Width] = src[k];
            }
        }

        return new PanelWeight((nint)data, outputs, inputs);
    }

    /// <summary>Panel p: <see cref="Inputs"/> rows of <see cref="Width"/> floats.</summary>
    public float* Panel(int p)
    {
        ObjectDisposedException.ThrowIf(_data == 0, this);
        return (float*)_data + ((long)p * Inputs * Width);
    }

    /// <summary>W[row, k], read back from the panels (tests, diagnostics).</summary>
    public float this[int row, int k] => Panel(row / Width)[((long)k * Width) + (row % Width)];

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        var data = Interlocked.Exchange(ref _data, 0);
        if (data != 0)
        {
            NativeMemory.AlignedFree((void*)data);
        }
    }
}
