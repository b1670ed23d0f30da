using System.Buffers;
using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Experts;

/// <summary>Runs experts held in this process: one batched SwiGLU per expert per step.</summary>
public sealed unsafe class LocalExpertExecutor : IExpertExecutor, IDisposable
{
    private readonly Dictionary<ExpertKey, ExpertWeights> _experts;

    public LocalExpertExecutor(IEnumerable<ExpertWeights> experts)
    {
        _experts = experts.ToDictionary(e => e.Key);
    }

    public int Count => _experts.Count;

    public long Bytes => _experts.Values.Sum(e => e.Bytes);

    public Tensor Execute(Tensor hidden, ExpertRouting routing)
    {
        var groups = new ExpertWeights[routing.Groups.Count];
        var fused = routing.Rows <= SmallBatchLinear.MaxRows;
        for (var g = 0; g < groups.Length; g++)
        {
            var expert = routing.Groups[g].Expert;
            groups[g] = _experts.TryGetValue(expert, out var weights)
                ? weights
                : throw new InvalidOperationException($"expert {expert} is not held by this executor");
            fused &= SmallBatchSwiGlu.Applies(hidden, groups[g].GateUp, groups[g].Down);
        }

        return fused ? ExecuteSmallBatch(hidden, routing, groups) : ExecuteBatched(hidden, routing, groups);
    }

    /// <summary>A decode step's few rows: gather, SwiGLU and weighted scatter-add over raw buffers, no libtorch ops per expert.</summary>
    private static Tensor ExecuteSmallBatch(Tensor hidden, ExpertRouting routing, ExpertWeights[] groups)
    {
        var input = hidden.is_contiguous() ? hidden : hidden.contiguous();
        var h = (int)input.shape[1];
        var output = torch.zeros(routing.Rows, h);
        var scratch = ArrayPool<float>.Shared.Rent(2 * routing.Rows * h);
        try
        {
            fixed (byte* xp = input.bytes)
            fixed (byte* op = output.bytes)
            fixed (float* s = scratch)
            {
                var x = (float*)xp;
                var o = (float*)op;
                var gathered = s;
                var result = s + ((long)routing.Rows * h);
                for (var g = 0; g < groups.Length; g++)
                {
                    var group = routing.Groups[g];
                    var rows = group.Rows;
                    for (var j = 0; j < rows.Length; j++)
                    {
                        new ReadOnlySpan<float>(x + (rows[j] * h), h).CopyTo(new Span<float>(gathered + ((long)j * h), h));
                    }

                    SmallBatchSwiGlu.Compute(gathered, rows.Length, groups[g].GateUp, groups[g].Down, result);
                    for (var j = 0; j < rows.Length; j++)
                    {
                        var dst = o + (rows[j] * h);
                        var src = result + ((long)j * h);
                        var weight = group.Weights[j];
                        for (var i = 0; i < h; i++)
                        {
                            dst[i] += weight * src[i];
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        return output;
    }

    private static Tensor ExecuteBatched(Tensor hidden, ExpertRouting routing, ExpertWeights[] groups)
    {
        var output = torch.zeros_like(hidden);
        for (var g = 0; g < groups.Length; g++)
        {
            var group = routing.Groups[g];
            var weights = groups[g];
            var rows = torch.tensor(group.Rows);
            var x = group.Rows.Length == routing.Rows ? hidden : hidden.index_select(0, rows);
            var y = weights.Forward(x) * torch.tensor(group.Weights).unsqueeze(1);
            using var one = 1.ToScalar();
            output.index_add_(0, rows, y, one);
        }

        return output;
    }

    public void Dispose()
    {
        foreach (var e in _experts.Values)
        {
            e.Dispose();
        }

        _experts.Clear();
    }
}
