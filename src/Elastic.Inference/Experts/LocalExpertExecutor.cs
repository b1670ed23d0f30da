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
        var work = new (ExpertGroup Group, ExpertWeights Weights)[routing.Groups.Count];
        for (var g = 0; g < work.Length; g++)
        {
            var group = routing.Groups[g];
            work[g] = (group, _experts.TryGetValue(group.Expert, out var held)
                ? held
                : throw new InvalidOperationException($"expert {group.Expert} is not held by this executor"));
        }

        return Run(hidden, work);
    }

    /// <summary>
    /// Σ over groups of weight · expert(hidden[rows]) scattered back to the rows: [N, H] → [N, H] fp32. The one
    /// implementation of running experts on their rows, used in process and by expert shard grains alike.
    /// </summary>
    public static Tensor Run(Tensor hidden, IReadOnlyList<(ExpertGroup Group, ExpertWeights Weights)> work)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(work);
        if (hidden.dim() != 2)
        {
            throw new ArgumentException($"expert input must be [rows, hidden]; got [{string.Join(", ", hidden.shape)}]", nameof(hidden));
        }

        var width = (int)hidden.size(1);
        foreach (var (group, weights) in work)
        {
            if (weights.Hidden != width)
            {
                throw new ArgumentException($"expert {weights.Key} takes rows of {weights.Hidden}, the input's are {width} wide", nameof(work));
            }
        }

        // No dispose scope of its own (once per MoE layer and step): a converted input, if any, belongs to the
        // caller's scope as the result does.
        var input = RowKernels.Fp32Rows(hidden);
        var output = torch.zeros(input.size(0), width);
        if (work.Count > 0)
        {
            Add(input, output, width, work);
        }

        GC.KeepAlive(input);
        return output;
    }

    /// <summary>
    /// output[rows] += weight · expert(input[rows]) for every group, over raw buffers with no libtorch ops: each expert
    /// sees only its own rows (at batch 32 with 8 experts ~8 rows; a prefill's, hundreds). With enough experts to keep
    /// every thread busy, each thread runs whole experts (one sync per layer instead of two per expert); otherwise each
    /// expert's panels are split over the threads. The weighted sums are added in group order either way, so results
    /// do not depend on the thread count.
    /// </summary>
    private static void Add(Tensor input, Tensor output, int h, IReadOnlyList<(ExpertGroup Group, ExpertWeights Weights)> work)
    {
        var offsets = new long[work.Count + 1];
        for (var g = 0; g < work.Count; g++)
        {
            offsets[g + 1] = offsets[g] + ((long)work[g].Group.Rows.Length * h);
        }

        var total = offsets[^1];
        var scratch = ArrayPool<float>.Shared.Rent(checked((int)(2 * total)));
        try
        {
            fixed (byte* xp = input.bytes)
            fixed (byte* op = output.bytes)
            fixed (float* s = scratch)
            {
                var x = (float*)xp;
                var o = (float*)op;
                var gathered = (nint)s;
                var results = (nint)(s + total);
                for (var g = 0; g < work.Count; g++)
                {
                    var rows = work[g].Group.Rows;
                    var dst = (float*)gathered + offsets[g];
                    for (var j = 0; j < rows.Length; j++)
                    {
                        new ReadOnlySpan<float>(x + (rows[j] * h), h).CopyTo(new Span<float>(dst + ((long)j * h), h));
                    }
                }

                var pool = ComputePool.Shared;
                if (pool.Threads > 1 && work.Count >= 2 * pool.Threads)
                {
                    pool.Run(work.Count, g => Compute(work[g], (float*)gathered + offsets[g], (float*)results + offsets[g], parallel: false));
                }
                else
                {
                    for (var g = 0; g < work.Count; g++)
                    {
                        Compute(work[g], (float*)gathered + offsets[g], (float*)results + offsets[g], parallel: true);
                    }
                }

                for (var g = 0; g < work.Count; g++)
                {
                    var group = work[g].Group;
                    var result = (float*)results + offsets[g];
                    for (var j = 0; j < group.Rows.Length; j++)
                    {
                        var dst = o + (group.Rows[j] * h);
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
    }

    private static void Compute((ExpertGroup Group, ExpertWeights Weights) item, float* gathered, float* result, bool parallel) =>
        item.Weights.Packed.Compute(gathered, item.Group.Rows.Length, result, parallel);

    public void Dispose()
    {
        foreach (var e in _experts.Values)
        {
            e.Dispose();
        }

        _experts.Clear();
    }
}
