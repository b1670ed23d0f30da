using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elastic.Inference.Modeling;

/// <summary>
/// e^x for 16 floats in single precision: n = round(x / ln 2), r = x − n · ln 2 (ln 2 in two parts), e^r by Cephes'
/// degree-6 polynomial, scaled by 2^n through the exponent bits; within 2 ulp of e^x for x in [−87.3, 88]. The
/// runtime's <see cref="Vector512.Exp(Vector512{float})"/> computes in double precision, ~4× slower here, and the
/// engine takes ~130 k exponentials a 32-row decode step (SiLU, attention's softmax) and one per vocabulary entry
/// for every sampled token. Beyond that range: +∞ above 88.72, 0 below −87.34 (where e^x is subnormal), NaN for NaN.
/// </summary>
internal static class FastExp
{
    private const float Highest = 88.0f;
    private const float Overflow = 88.72283f;
    private const float Lowest = -87.33654f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(Lowest)), Vector512.Create(Highest));
        var n = Vector512.Round(clamped * Vector512.Create(1.44269504088896341f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        var result = p * scale;
        result = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(Overflow)), Vector512.Create(float.PositiveInfinity), result);
        result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(Lowest)), Vector512<float>.Zero, result);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }
}
