namespace Elastic.Cli.Bench.Serve;

/// <summary>
/// When each request is sent, as vLLM's benchmark does it: gaps drawn from a gamma distribution with
/// shape = burstiness and scale = 1/(rate·burstiness), so the mean gap is 1/rate whatever the burstiness.
/// Burstiness 1 is a Poisson process; below 1 requests come in bursts, above 1 more evenly.
/// </summary>
internal static class ArrivalSchedule
{
    /// <summary>Send offsets from the start, one per request; all zero for an infinite rate (send at once).</summary>
    public static TimeSpan[] Offsets(int count, double requestsPerSecond, double burstiness, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstiness);
        var offsets = new TimeSpan[count];
        if (double.IsPositiveInfinity(requestsPerSecond))
        {
            return offsets;
        }

        var scale = 1.0 / (requestsPerSecond * burstiness);
        var at = 0.0;
        for (var i = 0; i < count; i++)
        {
            offsets[i] = TimeSpan.FromSeconds(at);
            at += Gamma.Sample(burstiness, scale, random);
        }

        return offsets;
    }
}

/// <summary>Gamma-distributed samples from a seeded <see cref="Random"/> (Marsaglia–Tsang), so a schedule is reproducible.</summary>
internal static class Gamma
{
    public static double Sample(double shape, double scale, Random random)
    {
        if (shape < 1)
        {
            // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
            return Sample(shape + 1, scale, random) * Math.Pow(1.0 - random.NextDouble(), 1.0 / shape);
        }

        var d = shape - 1.0 / 3.0;
        var c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1.0 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = 1.0 - random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v * scale;
            }
        }
    }

    private static double StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
