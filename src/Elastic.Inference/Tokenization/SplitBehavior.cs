using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Elastic.Inference.Tokenization;

/// <summary>Hugging Face's SplitDelimiterBehavior: what happens to the matched delimiter when a string is split.</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>Splits text at regex matches the way Hugging Face's NormalizedString::split does.</summary>
internal static class RegexSplitter
{
    public static SplitBehavior ParseBehavior(string? name, string file) => name switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new Configuration.CheckpointException(file, null, $"split behavior '{name}' is not supported"),
    };

    /// <summary>Returns (start, length) pieces of <paramref name="text"/>, never empty ones.</summary>
    public static List<(int Start, int Length)> Split(Regex regex, string text, SplitBehavior behavior, bool invert)
    {
        var spans = new List<(int Start, int End, bool IsMatch)>();
        var last = 0;
        foreach (Match match in regex.Matches(Surrogate(text)))
        {
            if (match.Length == 0)
            {
                continue;
            }

            if (match.Index > last)
            {
                spans.Add((last, match.Index, invert));
            }

            spans.Add((match.Index, match.Index + match.Length, !invert));
            last = match.Index + match.Length;
        }

        if (last < text.Length)
        {
            spans.Add((last, text.Length, invert));
        }

        var pieces = Apply(spans, behavior);
        return pieces.Count > 1 && text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 ? KeepPairsWhole(text, pieces) : pieces;
    }

    private static List<(int Start, int Length)> KeepPairsWhole(string text, List<(int Start, int Length)> pieces)
    {
        // A boundary between the two halves of one code point moves past the low surrogate.
        var result = new List<(int Start, int Length)>(pieces.Count);
        var taken = 0;
        foreach (var (start, length) in pieces)
        {
            var s = Math.Max(start, taken);
            var end = start + length;
            if (end < text.Length && end > s && char.IsHighSurrogate(text[end - 1]) && char.IsLowSurrogate(text[end]))
            {
                end++;
            }

            taken = Math.Max(taken, end);

            if (end > s)
            {
                result.Add((s, end - s));
            }
        }

        return result;
    }

    public static List<(int Start, int Length)> Apply(List<(int Start, int End, bool IsMatch)> spans, SplitBehavior behavior)
    {
        var pieces = new List<(int Start, int End)>(spans.Count);
        var previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var s in spans)
                {
                    if (!s.IsMatch)
                    {
                        pieces.Add((s.Start, s.End));
                    }
                }

                break;
            case SplitBehavior.Isolated:
                foreach (var s in spans)
                {
                    pieces.Add((s.Start, s.End));
                }

                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && pieces.Count > 0)
                    {
                        pieces[^1] = (pieces[^1].Start, s.End);
                    }
                    else
                    {
                        pieces.Add((s.Start, s.End));
                    }

                    previousMatch = s.IsMatch;
                }

                break;
            case SplitBehavior.MergedWithNext:
                for (var i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !previousMatch && pieces.Count > 0)
                    {
                        pieces[^1] = (s.Start, pieces[^1].End);
                    }
                    else
                    {
                        pieces.Add((s.Start, s.End));
                    }

                    previousMatch = s.IsMatch;
                }

                pieces.Reverse();
                break;
            case SplitBehavior.Contiguous:
                foreach (var s in spans)
                {
                    if (s.IsMatch == previousMatch && pieces.Count > 0)
                    {
                        pieces[^1] = (pieces[^1].Start, s.End);
                    }
                    else
                    {
                        pieces.Add((s.Start, s.End));
                    }

                    previousMatch = s.IsMatch;
                }

                break;
        }

        var result = new List<(int, int)>(pieces.Count);
        foreach (var (start, end) in pieces)
        {
            if (end > start)
            {
                result.Add((start, end - start));
            }
        }

        return result;
    }

    /// <summary>
    /// .NET regexes see a supplementary character as two surrogates (category Cs), whereas Oniguruma sees one
    /// code point; swapping each pair for a BMP stand-in of the same class (letter, number, other) keeps
    /// \p{L}/\p{N}/\s decisions and all offsets identical.
    /// </summary>
    private static string Surrogate(string text)
    {
        var first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = first; i < chars.Length; i++)
        {
            if (!char.IsSurrogate(chars[i]))
            {
                continue;
            }

            if (Rune.TryGetRuneAt(text, i, out var rune) && rune.Utf16SequenceLength == 2)
            {
                var standIn = Rune.GetUnicodeCategory(rune) switch
                {
                    UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => '\u00AA',
                    UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => '\u00B2',
                    UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => '\u0300',
                    _ => '\u00A4',
                };

                // Both halves get the stand-in so a run of one class stays one run; single-code-point
                // patterns such as Qwen's \p{N} are the only way this can differ (astral digits).
                chars[i] = standIn;
                chars[i + 1] = standIn;
                i++;
            }
            else
            {
                chars[i] = '\u00A4';
            }
        }

        return new string(chars);
    }
}
