namespace Elastic.Inference.Sampling;

/// <summary>The k largest of a span of scores (logits, router logits), without sorting the whole span.</summary>
internal static class TopKSelection
{
    /// <summary>
    /// Writes the indices and values of the <c>top.Length</c> largest <paramref name="scores"/> in descending order
    /// (ties: the lower index first) and returns how many were written (fewer when the span is shorter). By insertion
    /// into the sorted window: the span is read once, and k is small (a router's 2–8, at most 20 log-probabilities).
    /// A NaN score is never preferred: it counts as negative infinity.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, Span<int> ids, Span<float> top)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ids.Length, top.Length, nameof(ids));
        var k = top.Length;
        if (k == 0)
        {
            return 0;
        }

        var size = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var v = float.IsNaN(scores[i]) ? float.NegativeInfinity : scores[i];
            if (size == k && v <= top[size - 1])
            {
                continue;
            }

            var at = size < k ? size++ : k - 1;
            while (at > 0 && top[at - 1] < v)
            {
                top[at] = top[at - 1];
                ids[at] = ids[at - 1];
                at--;
            }

            top[at] = v;
            ids[at] = i;
        }

        return size;
    }
}
