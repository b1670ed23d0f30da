using Elastic.Training.Corpus;

namespace Elastic.Training.Tests.Corpus;

public sealed class ArithmeticProblemsTests
{
    [Fact]
    public void ArithmeticPrompt_HasEvalFormat()
    {
        Assert.Equal("37+48=", ArithmeticProblems.ArithmeticPrompt(37, 48));
    }

    [Theory]
    [InlineData("37+48=85", 37, 48, 85)]
    [InlineData("5+7=12\n", 5, 7, 12)]
    [InlineData("999+999=1998\r\n", 999, 999, 1998)]
    [InlineData("10+10=21", 10, 10, 21)]
    public void TryParseAddition_ValidLine_ReturnsParts(string line, int a, int b, int sum)
    {
        Assert.True(ArithmeticProblems.TryParseAddition(line, out var pa, out var pb, out var ps));
        Assert.Equal((a, b, sum), (pa, pb, ps));
    }

    [Theory]
    [InlineData("")]
    [InlineData("37+48=")]
    [InlineData("37-48=11")]
    [InlineData("37+48=85 ")]
    [InlineData(" 37+48=85")]
    [InlineData("37 + 48 = 85")]
    [InlineData("+48=85")]
    [InlineData("37+48=8x")]
    [InlineData("1234567890+1=1")]
    public void TryParseAddition_InvalidLine_ReturnsFalse(string line)
    {
        Assert.False(ArithmeticProblems.TryParseAddition(line, out _, out _, out _));
    }

    [Fact]
    public void HeldOut_SplitsAllTwoDigitPairsAboutFifteenPercent()
    {
        var heldOut = ArithmeticProblems.HeldOutAdditionPairs();
        var train = ArithmeticProblems.TrainAdditionPairs();

        Assert.Equal(90 * 90, heldOut.Count + train.Count);
        Assert.InRange(heldOut.Count / 8100.0, 0.12, 0.18);
        Assert.Empty(heldOut.Intersect(train));
        Assert.All(heldOut, p => Assert.True(ArithmeticProblems.IsHeldOut(p.A, p.B)));
        Assert.All(train, p => Assert.False(ArithmeticProblems.IsHeldOut(p.A, p.B)));
        Assert.All(heldOut, p => Assert.True(p.A is >= 10 and <= 99 && p.B is >= 10 and <= 99));
    }

    [Fact]
    public void HeldOut_IsSymmetric_SoCommutedProblemsDoNotLeak()
    {
        for (var a = 10; a <= 99; a++)
        {
            for (var b = 10; b <= 99; b++)
            {
                Assert.Equal(ArithmeticProblems.IsHeldOut(a, b), ArithmeticProblems.IsHeldOut(b, a));
            }
        }
    }

    [Fact]
    public void HeldOut_OnlyTwoDigitPairsAreEverHeldOut()
    {
        Assert.False(ArithmeticProblems.IsHeldOut(5, 48));
        Assert.False(ArithmeticProblems.IsHeldOut(100, 48));
        Assert.False(ArithmeticProblems.IsHeldOut(-37, 48));
    }

    [Fact]
    public void Generate_EveryArithmeticLine_IsCorrect()
    {
        var gen = new CorpusGenerator(17);
        for (var i = 0; i < 50_000; i++)
        {
            var line = gen.Next(CorpusDomain.Arithmetic).Text;
            Assert.True(TryEvaluate(line, out var expected, out var actual), $"unparseable arithmetic line '{line}'");
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Generate_ArithmeticIsMostlyTwoDigitAdditions()
    {
        var gen = new CorpusGenerator(18);
        var lines = Enumerable.Range(0, 10_000).Select(_ => gen.Next(CorpusDomain.Arithmetic).Text).ToList();

        var twoDigit = lines.Count(l => ArithmeticProblems.TryParseAddition(l, out var a, out var b, out _)
            && a is >= 10 and <= 99 && b is >= 10 and <= 99);
        var subtraction = lines.Count(l => l.Contains('-', StringComparison.Ordinal));

        Assert.InRange(twoDigit / 10_000.0, 0.70, 0.85);
        Assert.InRange(subtraction / 10_000.0, 0.04, 0.12);
    }

    [Fact]
    public void Generate_TrainingStream_NeverContainsHeldOutAddition()
    {
        var seen = 0;
        foreach (var sample in new CorpusGenerator(2024).Take(200_000))
        {
            if (ArithmeticProblems.TryParseAddition(sample.Text, out var a, out var b, out _) && a is >= 10 and <= 99 && b is >= 10 and <= 99)
            {
                seen++;
                Assert.False(ArithmeticProblems.IsHeldOut(a, b), $"held-out problem {sample.Text} in training data");
            }
        }

        Assert.True(seen > 30_000, $"only {seen} 2-digit additions in 200k samples");
    }

    [Fact]
    public void Generate_TrainingStream_CoversMostTrainPairs()
    {
        var gen = new CorpusGenerator(77);
        var seen = new HashSet<(int, int)>();
        for (var i = 0; i < 100_000; i++)
        {
            if (ArithmeticProblems.TryParseAddition(gen.Next(CorpusDomain.Arithmetic).Text, out var a, out var b, out _) && a >= 10 && b >= 10 && a <= 99 && b <= 99)
            {
                seen.Add((a, b));
            }
        }

        Assert.True(seen.Count > ArithmeticProblems.TrainAdditionPairs().Count * 0.99);
    }

    [Fact]
    public void Generate_HeldOutStream_OnlyContainsHeldOutTwoDigitAdditions()
    {
        var gen = new CorpusGenerator(5, CorpusSplit.HeldOut);
        var seen = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var line = gen.Next(CorpusDomain.Arithmetic).Text;
            if (ArithmeticProblems.TryParseAddition(line, out var a, out var b, out _) && a is >= 10 and <= 99 && b is >= 10 and <= 99)
            {
                seen++;
                Assert.True(ArithmeticProblems.IsHeldOut(a, b), $"train problem {line} in held-out data");
            }
        }

        Assert.True(seen > 10_000);
    }

    [Fact]
    public void HeldOutPairs_PromptsAreThePrefixOfTheirLine()
    {
        foreach (var (a, b) in ArithmeticProblems.HeldOutAdditionPairs())
        {
            var line = ArithmeticProblems.AdditionLine(a, b);
            Assert.StartsWith(ArithmeticProblems.ArithmeticPrompt(a, b), line, StringComparison.Ordinal);
            Assert.True(ArithmeticProblems.TryParseAddition(line, out var pa, out var pb, out var sum));
            Assert.Equal((a, b, a + b), (pa, pb, sum));
        }
    }

    private static bool TryEvaluate(string line, out int expected, out int actual)
    {
        expected = actual = 0;
        if (ArithmeticProblems.TryParseAddition(line, out var a, out var b, out var sum))
        {
            (expected, actual) = (a + b, sum);
            return true;
        }

        var minus = line.IndexOf('-', StringComparison.Ordinal);
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        if (minus <= 0 || equals <= minus
            || !int.TryParse(line.AsSpan(0, minus), System.Globalization.CultureInfo.InvariantCulture, out var x)
            || !int.TryParse(line.AsSpan(minus + 1, equals - minus - 1), System.Globalization.CultureInfo.InvariantCulture, out var y)
            || !int.TryParse(line.AsSpan(equals + 1), System.Globalization.CultureInfo.InvariantCulture, out var diff))
        {
            return false;
        }

        (expected, actual) = (x - y, diff);
        return actual >= 0;
    }
}
