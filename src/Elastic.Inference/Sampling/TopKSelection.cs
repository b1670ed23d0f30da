using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Elastic.Inference.Sampling;

/// <summary>The k largest of a span of scores (logits, router logits), without sorting the whole span.</summary>
internal static class TopKSelection
{
    /// <summary>
    /// Writes the indices and values of the <c>top.Length</c> largest <paramref name="scores"/> in descending order
    /// (ties: the lower index first) and returns how many were written (fewer when the span is shorter). By insertion
    /// into the sorted window, the span read once: k is small (a router's 2–8, at most 20 log-probabilities, a
    /// sampler's top-k up to 256), and once the window is full few scores still enter it. A NaN score is never
    /// preferred: it counts as negative infinity.
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
        var i = 0;
        for (; i < scores.Length && size < k; i++)
        {
            size = Insert(scores[i], i, ids, top, size);
        }

        // The window is full: only scores above its smallest can enter, and after the first few hundred of a
        // vocabulary that is almost none, so blocks of 16 are compared at once and only their winners inserted.
        ref var start = ref MemoryMarshal.GetReference(scores);
        for (; i + 16 <= scores.Length; i += 16)
        {
            var above = Vector512.GreaterThan(Vector512.LoadUnsafe(ref start, (nuint)i), Vector512.Create(top[k - 1])).ExtractMostSignificantBits();
            while (above != 0)
            {
                var at = i + BitOperations.TrailingZeroCount(above);
                above &= above - 1;
                size = Insert(scores[at], at, ids, top, size);
            }
        }

        for (; i < scores.Length; i++)
        {
            size = Insert(scores[i], i, ids, top, size);
        }

        return size;
    }

    // Puts score v of index i into the descending window unless it is full and v is not above its last entry (equal
    // scores keep the lower index first); returns the window's new size.
    private static int Insert(float score, int index, Span<int> ids, Span<float> top, int size)
    {
        var v = float.IsNaN(score) ? float.NegativeInfinity : score;
        var k = top.Length;
        if (size == k && v <= top[size - 1])
        {
            return size;
        }

        var at = size < k ? size++ : k - 1;
        while (at > 0 && top[at - 1] < v)
        {
            top[at] = top[at - 1];
            ids[at] = ids[at - 1];
            at--;
        }

        top[at] = v;
        ids[at] = index;
        return size;
    }
}
