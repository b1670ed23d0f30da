using System.Collections.ObjectModel;
using System.Globalization;

namespace Elastic.Training.Corpus;

/// <summary>The fixed train/held-out split of 2-digit additions and the exact line format the evaluation relies on.</summary>
public static class ArithmeticProblems
{
    /// <summary>Percentage of unordered 2-digit pairs reserved for evaluation.</summary>
    public const int HeldOutPercent = 15;

    // Changing this salt reshuffles the split and silently invalidates every earlier eval, so it is a constant.
    private const ulong SplitSalt = 0xE1A5_71C0_C0A9_05A1UL;

    private static readonly ReadOnlyCollection<(int A, int B)> HeldOutPairs = BuildPairs(heldOut: true);
    private static readonly ReadOnlyCollection<(int A, int B)> TrainPairs = BuildPairs(heldOut: false);

    /// <summary>
    /// True when <paramref name="a"/>+<paramref name="b"/> is reserved for evaluation. Only pairs of 2-digit
    /// operands (10..99) are ever held out. The split is by unordered pair, so 37+48 and 48+37 fall on the
    /// same side and the model cannot pass the eval by memorising the commuted training problem.
    /// </summary>
    public static bool IsHeldOut(int a, int b)
    {
        if (a is < 10 or > 99 || b is < 10 or > 99)
        {
            return false;
        }

        var key = (ulong)((Math.Min(a, b) * 100) + Math.Max(a, b));
        return CorpusRandom.Mix(key ^ SplitSalt) % 100 < HeldOutPercent;
    }

    /// <summary>All ordered 2-digit pairs (10..99) reserved for evaluation, in a fixed order.</summary>
    public static IReadOnlyList<(int A, int B)> HeldOutAdditionPairs() => HeldOutPairs;

    /// <summary>All ordered 2-digit pairs (10..99) the training generator may emit, in a fixed order.</summary>
    public static IReadOnlyList<(int A, int B)> TrainAdditionPairs() => TrainPairs;

    /// <summary>The evaluation prompt, e.g. <c>37+48=</c>; the model should continue with the sum and a newline.</summary>
    public static string ArithmeticPrompt(int a, int b) =>
        string.Create(CultureInfo.InvariantCulture, $"{a}+{b}=");

    /// <summary>The full training line, e.g. <c>37+48=85</c>.</summary>
    public static string AdditionLine(int a, int b) =>
        string.Create(CultureInfo.InvariantCulture, $"{a}+{b}={a + b}");

    /// <summary>
    /// Parses a line of exactly the form <c>{a}+{b}={sum}</c> (non-negative decimal integers, an optional
    /// trailing newline). The sum is returned as written, not checked, so callers can score wrong answers.
    /// </summary>
    public static bool TryParseAddition(string line, out int a, out int b, out int sum)
    {
        ArgumentNullException.ThrowIfNull(line);
        a = b = sum = 0;
        var span = line.AsSpan().TrimEnd("\r\n");
        var pos = 0;
        return TryReadNumber(span, ref pos, out a)
            && TryExpect(span, ref pos, '+')
            && TryReadNumber(span, ref pos, out b)
            && TryExpect(span, ref pos, '=')
            && TryReadNumber(span, ref pos, out sum)
            && pos == span.Length;
    }

    private static bool TryExpect(ReadOnlySpan<char> span, ref int pos, char c)
    {
        if (pos < span.Length && span[pos] == c)
        {
            pos++;
            return true;
        }

        return false;
    }

    private static bool TryReadNumber(ReadOnlySpan<char> span, ref int pos, out int value)
    {
        value = 0;
        var start = pos;

        // Nine digits cannot overflow an int, and no corpus or sensible model answer is longer.
        while (pos < span.Length && char.IsAsciiDigit(span[pos]) && pos - start < 9)
        {
            value = (value * 10) + (span[pos] - '0');
            pos++;
        }

        return pos > start && (pos == span.Length || !char.IsAsciiDigit(span[pos]));
    }

    private static ReadOnlyCollection<(int A, int B)> BuildPairs(bool heldOut)
    {
        var pairs = new List<(int A, int B)>();
        for (var a = 10; a <= 99; a++)
        {
            for (var b = 10; b <= 99; b++)
            {
                if (IsHeldOut(a, b) == heldOut)
                {
                    pairs.Add((a, b));
                }
            }
        }

        return pairs.AsReadOnly();
    }
}
