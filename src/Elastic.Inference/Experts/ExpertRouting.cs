using Elastic.Inference.Sampling;

namespace Elastic.Inference.Experts;

/// <summary>
/// The top-k routing decision of one MoE layer for one forward step, grouped by expert so each
/// expert runs once per step on all of its rows.
/// </summary>
public sealed class ExpertRouting
{
    private ExpertRouting(int layer, int rows, int topK, long[] expertIds, float[] weights, IReadOnlyList<ExpertGroup> groups)
    {
        Layer = layer;
        Rows = rows;
        TopK = topK;
        ExpertIds = expertIds;
        Weights = weights;
        Groups = groups;
    }

    public int Layer { get; }

    /// <summary>Number of token rows in the step.</summary>
    public int Rows { get; }

    public int TopK { get; }

    /// <summary>Row-major [Rows, TopK] chosen expert ids.</summary>
    public long[] ExpertIds { get; }

    /// <summary>Row-major [Rows, TopK] combine weights.</summary>
    public float[] Weights { get; }

    /// <summary>One entry per expert that received at least one row, in expert order.</summary>
    public IReadOnlyList<ExpertGroup> Groups { get; }

    /// <summary>
    /// The routing of a step from its router logits (row-major [rows, <paramref name="numExperts"/>]): per row a softmax
    /// over the experts, the <paramref name="topK"/> most probable in descending order, their probabilities as weights,
    /// renormalised to sum to one when <paramref name="normalizeTopK"/> (Mixtral, norm_topk_prob). In plain loops rather
    /// than libtorch's softmax and topk: on a decode step's few rows those each started an OpenMP parallel region (a
    /// worker wake-up and barrier on both cores) for a few hundred floats, every layer of every step.
    /// </summary>
    public static ExpertRouting FromRouterLogits(int layer, int numExperts, int topK, bool normalizeTopK, ReadOnlySpan<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numExperts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topK);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(topK, numExperts);
        if (logits.Length % numExperts != 0)
        {
            throw new ArgumentException($"router logits hold {logits.Length} values, not a whole number of rows of {numExperts} experts", nameof(logits));
        }

        var rows = logits.Length / numExperts;
        var ids = new long[rows * topK];
        var weights = new float[rows * topK];
        Span<int> chosenIds = stackalloc int[topK];
        for (var r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * numExperts, numExperts);
            var rowIds = ids.AsSpan(r * topK, topK);
            var rowWeights = weights.AsSpan(r * topK, topK);
            TopKSelection.Select(row, chosenIds, rowWeights);
            for (var i = 0; i < topK; i++)
            {
                rowIds[i] = chosenIds[i];
            }

            // softmax(l)[e] = exp(l[e] - max) / Σ exp(l[j] - max); the largest logit is the first one chosen.
            var max = rowWeights[0];
            var denominator = 0f;
            foreach (var l in row)
            {
                denominator += MathF.Exp(l - max);
            }

            var chosen = 0f;
            for (var i = 0; i < topK; i++)
            {
                rowWeights[i] = MathF.Exp(rowWeights[i] - max) / denominator;
                chosen += rowWeights[i];
            }

            if (normalizeTopK)
            {
                for (var i = 0; i < topK; i++)
                {
                    rowWeights[i] /= chosen;
                }
            }
        }

        return Create(layer, numExperts, topK, ids, weights);
    }

    /// <summary>Groups row-major top-k ids and weights by expert.</summary>
    public static ExpertRouting Create(int layer, int numExperts, int topK, long[] expertIds, float[] weights)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(expertIds.Length, weights.Length);
        var rows = expertIds.Length / topK;
        var counts = new int[numExperts];
        foreach (var e in expertIds)
        {
            counts[e]++;
        }

        var rowLists = new long[numExperts][];
        var weightLists = new float[numExperts][];
        var fill = new int[numExperts];
        for (var e = 0; e < numExperts; e++)
        {
            if (counts[e] > 0)
            {
                rowLists[e] = new long[counts[e]];
                weightLists[e] = new float[counts[e]];
            }
        }

        for (var i = 0; i < expertIds.Length; i++)
        {
            var e = (int)expertIds[i];
            rowLists[e][fill[e]] = i / topK;
            weightLists[e][fill[e]] = weights[i];
            fill[e]++;
        }

        var groups = new List<ExpertGroup>();
        for (var e = 0; e < numExperts; e++)
        {
            if (counts[e] > 0)
            {
                groups.Add(new ExpertGroup(new ExpertKey(layer, e), rowLists[e], weightLists[e]));
            }
        }

        return new ExpertRouting(layer, rows, topK, expertIds, weights, groups);
    }
}

/// <summary>The rows routed to one expert in a step and the weight each row gives its output.</summary>
public sealed record ExpertGroup(ExpertKey Expert, long[] Rows, float[] Weights);
