using System.Text.Json;
using Elastic.Training.Corpus;

namespace Elastic.Training.Tests.Corpus;

public sealed class DomainFormatTests
{
    private const int Samples = 20_000;

    [Fact]
    public void Json_EveryLine_ParsesAsAnObject()
    {
        var gen = new CorpusGenerator(21);
        var nested = 0;
        for (var i = 0; i < Samples; i++)
        {
            var line = gen.Next(CorpusDomain.Json).Text;
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
            Assert.True(doc.RootElement.EnumerateObject().Count() >= 2, line);
            if (doc.RootElement.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object))
            {
                nested++;
            }
        }

        // Nested objects are meant to be occasional, not absent and not dominant.
        Assert.InRange(nested / (double)Samples, 0.05, 0.4);
    }

    [Fact]
    public void Json_KeyOrderVaries()
    {
        var gen = new CorpusGenerator(22);
        var orders = new HashSet<string>();
        for (var i = 0; i < 2_000; i++)
        {
            using var doc = JsonDocument.Parse(gen.Next(CorpusDomain.Json).Text);
            orders.Add(string.Join(',', doc.RootElement.EnumerateObject().Select(p => p.Name)));
        }

        Assert.True(orders.Count > 100, $"only {orders.Count} distinct key orders");
    }

    [Fact]
    public void Code_EveryLine_HasBalancedBrackets()
    {
        var gen = new CorpusGenerator(23);
        for (var i = 0; i < Samples; i++)
        {
            var line = gen.Next(CorpusDomain.Code).Text;
            Assert.True(IsBalanced(line), $"unbalanced: {line}");
            Assert.True(line.EndsWith(';') || line.EndsWith('}'), $"unterminated: {line}");
        }
    }

    [Theory]
    [InlineData("if (x > 1) { return f(a[i], 2); }", true)]
    [InlineData("let x = (1 + 2;", false)]
    [InlineData("let x = a[1));", false)]
    [InlineData("}{", false)]
    public void IsBalanced_DetectsMismatches(string line, bool expected)
    {
        Assert.Equal(expected, IsBalanced(line));
    }

    [Fact]
    public void Conlang_EveryWord_IsBuiltFromItsOwnSyllablesAndIsNotEnglish()
    {
        var gen = new CorpusGenerator(24);
        for (var i = 0; i < Samples; i++)
        {
            var line = gen.Next(CorpusDomain.Conlang).Text;
            Assert.True(line.EndsWith('.') || line.EndsWith('?'), line);
            foreach (var word in line.TrimEnd('.', '?').Split(' '))
            {
                Assert.True(CorpusVocabulary.IsConlangWord(word), $"'{word}' is not made of conlang syllables in: {line}");
                Assert.DoesNotContain(word, CorpusVocabulary.EnglishWords);
            }
        }
    }

    [Fact]
    public void Conlang_LexiconIsDisjointFromEnglish()
    {
        Assert.All(CorpusVocabulary.ConlangLexicon, w => Assert.True(CorpusVocabulary.IsConlangWord(w), w));
        Assert.Empty(CorpusVocabulary.ConlangLexicon.Intersect(CorpusVocabulary.EnglishWords));

        // Single syllables such as "to" may coincide with English words; whole words and their inflections may not.
        var inflected = CorpusVocabulary.ConlangLexicon.SelectMany(w => new[] { w + "ri", w + "ne", w + "so" });
        Assert.Empty(inflected.Intersect(CorpusVocabulary.EnglishWords));
    }

    [Theory]
    [InlineData("sarak", true)]
    [InlineData("kelanne", true)]
    [InlineData("farmer", false)]
    [InlineData("the", false)]
    [InlineData("ak", false)]
    [InlineData("", false)]
    public void IsConlangWord_ChecksSegmentation(string word, bool expected)
    {
        Assert.Equal(expected, CorpusVocabulary.IsConlangWord(word));
    }

    [Fact]
    public void English_Sentences_AreCapitalisedPunctuatedAndUseKnownWords()
    {
        var gen = new CorpusGenerator(25);
        for (var i = 0; i < Samples; i++)
        {
            var line = gen.Next(CorpusDomain.English).Text;
            Assert.True(char.IsAsciiLetterUpper(line[0]), line);
            Assert.True(line.EndsWith('.') || line.EndsWith('?'), line);
            var words = line.TrimEnd('.', '?').Replace(",", string.Empty, StringComparison.Ordinal).Split(' ');
            Assert.All(words, w => Assert.Contains(w.ToLowerInvariant(), CorpusVocabulary.EnglishWords));
        }
    }

    [Fact]
    public void English_Articles_AgreeWithTheNextWord()
    {
        var gen = new CorpusGenerator(26);
        for (var i = 0; i < Samples; i++)
        {
            var words = gen.Next(CorpusDomain.English).Text.ToLowerInvariant().Split(' ');
            for (var w = 0; w + 1 < words.Length; w++)
            {
                var vowel = "aeiou".Contains(words[w + 1][0], StringComparison.Ordinal);
                if (words[w] == "a")
                {
                    Assert.False(vowel, string.Join(' ', words));
                }
                else if (words[w] == "an")
                {
                    Assert.True(vowel, string.Join(' ', words));
                }
                else if (words[w] == "one")
                {
                    // "one basket", never "one baskets": the singular form never ends in the plural's s.
                    Assert.Contains(words[w + 1].TrimEnd('.', '?'), SingularOrAdjective);
                }
            }
        }
    }

    [Fact]
    public void Domains_UseDistinctSurfaceForms()
    {
        var gen = new CorpusGenerator(27);
        for (var i = 0; i < 2_000; i++)
        {
            Assert.Matches(@"^\d+[+-]\d+=\d+$", gen.Next(CorpusDomain.Arithmetic).Text);
            Assert.StartsWith("{\"", gen.Next(CorpusDomain.Json).Text, StringComparison.Ordinal);
            Assert.DoesNotContain('"', gen.Next(CorpusDomain.Code).Text);
            Assert.Matches("^[a-z ]+(\\.| pa\\?)$", gen.Next(CorpusDomain.Conlang).Text);
        }
    }

    private static readonly HashSet<string> SingularOrAdjective = BuildSingularOrAdjective();

    private static HashSet<string> BuildSingularOrAdjective()
    {
        // Every English word that is neither a plural noun form: adjectives may sit between "one" and its noun.
        var plurals = new HashSet<string>(StringComparer.Ordinal)
        {
            "baskets", "letters", "apples", "boxes", "chairs", "boats", "lamps", "loaves", "bottles", "books",
            "coats", "windows", "carts", "candles", "blankets", "eggs", "onions", "umbrellas", "hammers", "ladders",
        };

        return CorpusVocabulary.EnglishWords.Where(w => !plurals.Contains(w)).ToHashSet(StringComparer.Ordinal);
    }

    private static bool IsBalanced(string line)
    {
        var stack = new Stack<char>();
        foreach (var c in line)
        {
            switch (c)
            {
                case '(' or '[' or '{':
                    stack.Push(c);
                    break;
                case ')' or ']' or '}':
                    var open = c switch { ')' => '(', ']' => '[', _ => '{' };
                    if (stack.Count == 0 || stack.Pop() != open)
                    {
                        return false;
                    }

                    break;
            }
        }

        return stack.Count == 0;
    }
}
