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
    /// Σ over groups of weight · expert(hidden[rows]) scattered back to the rows: [N, H] → [N, H]. The one
    /// implementation of running experts on their rows, used in process and by expert shard grains alike.
    /// </summary>
    public static Tensor Run(Tensor hidden, IReadOnlyList<(ExpertGroup Group, ExpertWeights Weights)> work)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(work);
        var input = hidden.is_contiguous() ? hidden : hidden.contiguous();
        var totalRows = (int)input.shape[0];
        var rawInput = SmallBatchLinear.TakesRows(input);
        var width = rawInput ? (int)input.shape[1] : -1;
        var output = torch.zeros_like(input);
        var small = new List<(ExpertGroup Group, SwiGluWeights Weights)>(work.Count);
        foreach (var (group, weights) in work)
        {
            // Each expert sees only its own rows: at batch 32 with 16 experts that is ~4 rows, where streaming the
            // weights once (the small-batch kernel) beats libtorch's GEMM by 3-5x. A prefill's rows take the kernel
            // too while they fit L2 (narrow models), and libtorch's GEMM beyond that.
            if (rawInput && group.Rows.Length <= SmallBatchRows(width) && weights.SmallBatch is { } view && view.Hidden == width)
            {
                small.Add((group, view));
            }
            else
            {
                AddBatched(input, output, group, weights, totalRows);
            }
        }

        if (small.Count > 0)
        {
            AddSmallBatches(input, output, width, small);
        }

        return output;
    }

    /// <summary>
    /// The most rows of one expert the small-batch kernel takes: a decode step's worth at any width, and as many prefill
    /// rows as keep the gathered input within <see cref="SmallBatchInputBytes"/> (the kernel reads all of it once per
    /// four weight rows, so it must stay in L2).
    /// </summary>
    internal static int SmallBatchRows(int width) => Math.Max(SmallBatchLinear.MaxRows, SmallBatchInputBytes / (Math.Max(width, 1) * sizeof(float)));

    private const int SmallBatchInputBytes = 256 << 10;

    /// <summary>
    /// output[rows] += weight · expert(input[rows]) for every small group, over raw buffers with no libtorch ops.
    /// With enough experts to keep every thread busy, each thread runs whole experts (one sync per layer instead
    /// of two per expert); otherwise each expert's matrices are split over the threads. The weighted sums are
    /// added in group order either way, so results do not depend on the thread count.
    /// </summary>
    private static void AddSmallBatches(Tensor input, Tensor output, int h, List<(ExpertGroup Group, SwiGluWeights Weights)> small)
    {
        var offsets = new long[small.Count + 1];
        for (var g = 0; g < small.Count; g++)
        {
            offsets[g + 1] = offsets[g] + ((long)small[g].Group.Rows.Length * h);
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
                for (var g = 0; g < small.Count; g++)
                {
                    var rows = small[g].Group.Rows;
                    var dst = (float*)gathered + offsets[g];
                    for (var j = 0; j < rows.Length; j++)
                    {
                        new ReadOnlySpan<float>(x + (rows[j] * h), h).CopyTo(new Span<float>(dst + ((long)j * h), h));
                    }
                }

                var pool = ComputePool.Shared;
                if (pool.Threads > 1 && small.Count >= 2 * pool.Threads)
                {
                    pool.Run(small.Count, g => Compute(small[g], (float*)gathered + offsets[g], (float*)results + offsets[g], parallel: false));
                }
                else
                {
                    for (var g = 0; g < small.Count; g++)
                    {
                        Compute(small[g], (float*)gathered + offsets[g], (float*)results + offsets[g], parallel: true);
                    }
                }

                for (var g = 0; g < small.Count; g++)
                {
                    var group = small[g].Group;
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

    private static void Compute((ExpertGroup Group, SwiGluWeights Weights) small, float* gathered, float* result, bool parallel) =>
        SmallBatchSwiGlu.Compute(gathered, small.Group.Rows.Length, small.Weights, result, parallel);

    private static void AddBatched(Tensor input, Tensor output, ExpertGroup group, ExpertWeights weights, int totalRows)
    {
        var rows = torch.tensor(group.Rows);
        var x = group.Rows.Length == totalRows ? input : input.index_select(0, rows);
        var y = weights.Forward(x) * torch.tensor(group.Weights).unsqueeze(1);
        using var one = 1.ToScalar();
        output.index_add_(0, rows, y, one);
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
