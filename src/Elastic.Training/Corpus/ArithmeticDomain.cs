using System.Globalization;

namespace Elastic.Training.Corpus;

/// <summary>Single arithmetic facts, one per line, dominated by the 2-digit additions the model is scored on.</summary>
internal sealed class ArithmeticDomain(CorpusRandom rng, CorpusSplit split)
{
    private readonly IReadOnlyList<(int A, int B)> _pairs = split == CorpusSplit.Train
        ? ArithmeticProblems.TrainAdditionPairs()
        : ArithmeticProblems.HeldOutAdditionPairs();

    public string Next()
    {
        var roll = rng.Next(100);

        // Most of the budget goes to the scored task; the rest teaches digits and carries in other shapes
        // without ever producing a 2-digit+2-digit pair from the wrong side of the split.
        if (roll < 76)
        {
            var (a, b) = rng.Pick(_pairs);
            return ArithmeticProblems.AdditionLine(a, b);
        }

        if (roll < 84)
        {
            return rng.Next(3) switch
            {
                0 => ArithmeticProblems.AdditionLine(rng.Next(10), rng.Next(10)),
                1 => ArithmeticProblems.AdditionLine(rng.Next(10), rng.Next(10, 100)),
                _ => ArithmeticProblems.AdditionLine(rng.Next(10, 100), rng.Next(10)),
            };
        }

        if (roll < 92)
        {
            return rng.Chance(50)
                ? ArithmeticProblems.AdditionLine(rng.Next(100, 1000), rng.Next(100, 1000))
                : ArithmeticProblems.AdditionLine(rng.Next(100, 1000), rng.Next(10, 100));
        }

        var x = rng.Next(10, 100);
        var y = rng.Next(0, x + 1);
        return string.Create(CultureInfo.InvariantCulture, $"{x}-{y}={x - y}");
    }
}
