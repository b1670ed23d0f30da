using System.Runtime.Intrinsics;
using Elastic.Inference.Modeling;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class FastExpTests
{
    [Fact]
    public void Exp_IsWithinTwoUlpOfTheDoublePrecisionExp_AcrossItsRange()
    {
        var random = new Random(7);
        var worst = 0.0;
        for (var trial = 0; trial < 20_000; trial++)
        {
            var values = new float[16];
            for (var i = 0; i < 16; i++)
            {
                // Mostly where the engine uses it (softmax: ≤ 0, SiLU: small), and the whole range.
                values[i] = trial % 4 == 0 ? (float)((random.NextDouble() * 175.3) - 87.3) : (float)((random.NextDouble() * 40) - 30);
            }

            var result = FastExp.Exp(Vector512.Create(values));
            for (var i = 0; i < 16; i++)
            {
                var expected = Math.Exp(values[i]);
                var relative = Math.Abs(result[i] - expected) / expected;
                worst = Math.Max(worst, relative);
            }
        }

        // 2 ulp of a float is 2 · 2^-23 ≈ 2.4e-7 relative.
        Assert.True(worst < 2.4e-7, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void Exp_AtTheEdges_IsOneInfinityZeroOrNaN()
    {
        float[] inputs = [0f, -0f, 1f, 89f, float.PositiveInfinity, -88f, -1000f, float.NegativeInfinity, float.NaN, 88f, -87.3f, 0.6931472f, 0, 0, 0, 0];

        var result = FastExp.Exp(Vector512.Create(inputs));

        Assert.Equal(1f, result[0]);
        Assert.Equal(1f, result[1]);
        Assert.Equal(MathF.E, result[2], 6);
        Assert.Equal(float.PositiveInfinity, result[3]);
        Assert.Equal(float.PositiveInfinity, result[4]);
        Assert.Equal(0f, result[5]);
        Assert.Equal(0f, result[6]);
        Assert.Equal(0f, result[7]);
        Assert.True(float.IsNaN(result[8]));
        Assert.Equal(Math.Exp(88), result[9], 1e-6 * Math.Exp(88));
        Assert.Equal(Math.Exp(-87.3f), result[10], 1e-6 * Math.Exp(-87.3f));
        Assert.Equal(2f, result[11], 6);
    }
}
