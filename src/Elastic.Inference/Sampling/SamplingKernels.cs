using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Elastic.Inference.Modeling;

namespace Elastic.Inference.Sampling;

/// <summary>
/// The vocabulary-wide loops of sampling, 16 floats at a time: a step samples every running sequence from a whole
/// vocabulary (152 k entries for Qwen-family checkpoints), so scalar loops here cost more than the model's own step
/// (measured: 0.9 ms a token at temperature 1 and 152 k, 13.6 ms with top-k's full sort). NaN scores count as
/// impossible tokens (negative infinity) everywhere.
/// </summary>
internal static class SamplingKernels
{
    private const int Lanes = 16;

    /// <summary>The largest score, NaNs ignored; negative infinity when there is none.</summary>
    public static float Max(ReadOnlySpan<float> scores)
    {
        var max = float.NegativeInfinity;
        var i = 0;
        if (scores.Length >= Lanes)
        {
            var best = Vector512.Create(float.NegativeInfinity);
            ref var start = ref MemoryMarshal.GetReference(scores);
            for (; i + Lanes <= scores.Length; i += Lanes)
            {
                var v = Vector512.LoadUnsafe(ref start, (nuint)i);
                best = Vector512.Max(best, WithoutNaN(v));
            }

            max = best.ToScalar();
            for (var lane = 1; lane < Lanes; lane++)
            {
                max = MathF.Max(max, best.GetElement(lane));
            }
        }

        for (; i < scores.Length; i++)
        {
            if (scores[i] > max)
            {
                max = scores[i];
            }
        }

        return max;
    }

    /// <summary>
    /// The first index holding a value strictly larger than every value before it, as a scan comparing with
    /// <c>&gt;</c> finds it: the first index of the largest non-NaN value, except that a NaN at index 0 is never
    /// displaced (no comparison with it holds).
    /// </summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.Length == 0 || float.IsNaN(values[0]))
        {
            return 0;
        }

        var max = Max(values);
        var i = 0;
        var target = Vector512.Create(max);
        ref var start = ref MemoryMarshal.GetReference(values);
        for (; i + Lanes <= values.Length; i += Lanes)
        {
            var hits = Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)i), target).ExtractMostSignificantBits();
            if (hits != 0)
            {
                return i + BitOperations.TrailingZeroCount(hits);
            }
        }

        for (; i < values.Length; i++)
        {
            if (values[i] == max)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>
    /// probabilities[i] = exp((scores[i] − max) · inverseTemperature), 0 for NaN scores; returns their sum (summed in
    /// blocks of 16 the way <see cref="DrawByMass"/> walks them).
    /// </summary>
    public static double Exp(ReadOnlySpan<float> scores, Span<float> probabilities, float max, float inverseTemperature)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probabilities.Length, scores.Length, nameof(probabilities));
        double total = 0;
        var i = 0;
        var shift = Vector512.Create(max);
        var scale = Vector512.Create(inverseTemperature);
        ref var source = ref MemoryMarshal.GetReference(scores);
        ref var target = ref MemoryMarshal.GetReference(probabilities);
        for (; i + Lanes <= scores.Length; i += Lanes)
        {
            var e = FastExp.Exp((Vector512.LoadUnsafe(ref source, (nuint)i) - shift) * scale);
            e = Vector512.ConditionalSelect(Vector512.Equals(e, e), e, Vector512<float>.Zero);
            e.StoreUnsafe(ref target, (nuint)i);
            total += Vector512.Sum(e);
        }

        for (; i < scores.Length; i++)
        {
            var e = MathF.Exp((scores[i] - max) * inverseTemperature);
            probabilities[i] = float.IsNaN(e) ? 0 : e;
            total += probabilities[i];
        }

        return total;
    }

    /// <summary>
    /// The index where the running sum of <paramref name="probabilities"/> first exceeds <paramref name="uniform"/> ·
    /// <paramref name="total"/> (skipping whole blocks of 16 by their sums); the last positive entry when rounding
    /// leaves the draw past the end.
    /// </summary>
    public static int DrawByMass(ReadOnlySpan<float> probabilities, double total, double uniform)
    {
        var r = uniform * total;
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(probabilities);
        for (; i + Lanes <= probabilities.Length; i += Lanes)
        {
            double block = Vector512.Sum(Vector512.LoadUnsafe(ref start, (nuint)i));
            if (r - block >= 0)
            {
                r -= block;
                continue;
            }

            for (var end = i + Lanes; i < end; i++)
            {
                r -= probabilities[i];
                if (r < 0)
                {
                    return i;
                }
            }

            // Rounding inside the block: its last positive entry.
            return LastPositive(probabilities[..i]);
        }

        for (; i < probabilities.Length; i++)
        {
            r -= probabilities[i];
            if (r < 0)
            {
                return i;
            }
        }

        return LastPositive(probabilities);
    }

    /// <summary>log Σ exp(scores), NaNs ignored; negative infinity when every score is.</summary>
    public static float LogSumExp(ReadOnlySpan<float> scores)
    {
        var max = Max(scores);
        if (float.IsNegativeInfinity(max))
        {
            return max;
        }

        double sum = 0;
        var i = 0;
        var shift = Vector512.Create(max);
        ref var start = ref MemoryMarshal.GetReference(scores);
        for (; i + Lanes <= scores.Length; i += Lanes)
        {
            var e = FastExp.Exp(Vector512.LoadUnsafe(ref start, (nuint)i) - shift);
            sum += Vector512.Sum(Vector512.ConditionalSelect(Vector512.Equals(e, e), e, Vector512<float>.Zero));
        }

        for (; i < scores.Length; i++)
        {
            if (!float.IsNaN(scores[i]))
            {
                sum += Math.Exp(scores[i] - max);
            }
        }

        return max + (float)Math.Log(sum);
    }

    private static int LastPositive(ReadOnlySpan<float> probabilities)
    {
        for (var i = probabilities.Length - 1; i >= 0; i--)
        {
            if (probabilities[i] > 0)
            {
                return i;
            }
        }

        return Math.Max(0, probabilities.Length - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WithoutNaN(Vector512<float> v) =>
        Vector512.ConditionalSelect(Vector512.Equals(v, v), v, Vector512.Create(float.NegativeInfinity));
}
