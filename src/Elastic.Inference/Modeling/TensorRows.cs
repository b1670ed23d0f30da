using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>Row gathers for the step's lookups (token embeddings, rotary tables) without index tensors.</summary>
internal static unsafe class TensorRows
{
    /// <summary>
    /// Copies rows <paramref name="indices"/> of the 2-D fp32 <paramref name="table"/> into <paramref name="destination"/>
    /// (contiguous fp32, indices.Length × the table's width elements, any shape), as index_select would; two libtorch
    /// calls fewer a lookup (an index tensor and the select), which a decode step makes three times.
    /// </summary>
    public static void Copy(Tensor table, ReadOnlySpan<long> indices, Tensor destination)
    {
        if (table.dim() != 2 || !table.is_contiguous() || table.dtype != ScalarType.Float32 || table.device_type != DeviceType.CPU)
        {
            throw new ArgumentException($"the table must be a contiguous 2-D fp32 CPU tensor; got {table.dtype} with {table.dim()} dimensions", nameof(table));
        }

        var rows = table.size(0);
        var width = table.size(1);

        if (!destination.is_contiguous() || destination.dtype != ScalarType.Float32 || destination.numel() != indices.Length * width)
        {
            throw new ArgumentException($"the destination must be contiguous fp32 with {indices.Length} × {width} elements; got {destination.dtype} with {destination.numel()}", nameof(destination));
        }

        foreach (var index in indices)
        {
            if ((ulong)index >= (ulong)rows)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"row {index} is outside the table's {rows} rows");
            }
        }

        var from = TensorData.Floats(table);
        var to = TensorData.Floats(destination);
        for (var i = 0; i < indices.Length; i++)
        {
            new ReadOnlySpan<float>(from + (indices[i] * width), (int)width).CopyTo(new Span<float>(to + (i * width), (int)width));
        }

        GC.KeepAlive(table);
        GC.KeepAlive(destination);
    }
}
