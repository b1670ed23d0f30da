using System.Collections.Frozen;

namespace Elastic.Training.Corpus;

/// <summary>The closed vocabularies behind the English and conlang domains, for tests and tokenizer diagnostics.</summary>
public static class CorpusVocabulary
{
    /// <summary>Every lower-case word form the English domain can emit.</summary>
    public static IReadOnlySet<string> EnglishWords { get; } = BuildEnglishWords();

    /// <summary>Every syllable of the conlang (onset, vowel, optional coda).</summary>
    public static IReadOnlyList<string> ConlangSyllables { get; } = BuildSyllables();

    /// <summary>Every dictionary word of the conlang before inflection (nouns, verbs, adjectives, numerals, time words, particles).</summary>
    public static IReadOnlySet<string> ConlangLexicon { get; } = BuildConlangLexicon();

    private static readonly FrozenSet<string> SyllableSet = ConlangSyllables.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="word"/> splits entirely into conlang syllables.</summary>
    public static bool IsConlangWord(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length == 0)
        {
            return false;
        }

        // Segmentation by dynamic programming, since CV(C) boundaries are ambiguous (sa-rak vs sar-ak).
        var reachable = new bool[word.Length + 1];
        reachable[0] = true;
        for (var end = 1; end <= word.Length; end++)
        {
            for (var len = 2; len <= 3 && len <= end && !reachable[end]; len++)
            {
                reachable[end] = reachable[end - len] && SyllableSet.Contains(word.Substring(end - len, len));
            }
        }

        return reachable[word.Length];
    }

    private static FrozenSet<string> BuildEnglishWords()
    {
        var words = new List<string>();
        foreach (var (one, many) in EnglishDomain.People.Concat(EnglishDomain.Things))
        {
            words.Add(one);
            words.Add(many);
        }

        foreach (var (b, third, past) in EnglishDomain.TransitiveVerbs.Concat(EnglishDomain.MotionVerbs).Concat(EnglishDomain.IntransitiveVerbs))
        {
            words.Add(b);
            words.Add(third);
            words.Add(past);
        }

        var phrases = EnglishDomain.PersonAdjectives
            .Concat(EnglishDomain.ThingAdjectives)
            .Concat(EnglishDomain.PlaceAdjectives)
            .Concat(EnglishDomain.Places)
            .Concat(EnglishDomain.PastTimes)
            .Concat(EnglishDomain.HabitualTimes)
            .Concat(EnglishDomain.Names)
            .Concat(EnglishDomain.Adverbs)
            .Concat(EnglishDomain.Numbers)
            .Concat(EnglishDomain.FunctionWords);
        words.AddRange(phrases.SelectMany(p => p.Split(' ')));

        return words.Select(w => w.ToLowerInvariant()).ToFrozenSet(StringComparer.Ordinal);
    }

    private static string[] BuildSyllables()
    {
        var syllables = new List<string>();
        foreach (var onset in ConlangDomain.Onsets)
        {
            foreach (var vowel in ConlangDomain.Vowels)
            {
                syllables.Add(new string([onset, vowel]));
                foreach (var coda in ConlangDomain.Codas)
                {
                    syllables.Add(new string([onset, vowel, coda]));
                }
            }
        }

        return [.. syllables];
    }

    private static FrozenSet<string> BuildConlangLexicon() =>
        ConlangDomain.Nouns
            .Concat(ConlangDomain.TransitiveVerbs)
            .Concat(ConlangDomain.IntransitiveVerbs)
            .Concat(ConlangDomain.Adjectives)
            .Concat(ConlangDomain.Numerals)
            .Concat(ConlangDomain.Times.Select(t => t.Word))
            .Concat(ConlangDomain.Particles)
            .ToFrozenSet(StringComparer.Ordinal);
}
