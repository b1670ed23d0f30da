namespace Elastic.Inference.Tokenization;

/// <summary>Trains a GPT-2 style byte-level BPE tokenizer and writes it as a Hugging Face tokenizer.json.</summary>
public static class ByteLevelBpeTrainer
{
    /// <summary>
    /// Learns merges from <paramref name="corpus"/> until the vocabulary (special tokens + 256 byte symbols + merges)
    /// reaches <paramref name="vocabSize"/> or no pair occurs <paramref name="minFrequency"/> times. Deterministic:
    /// equal counts are broken by the ordinal order of the pair's (left, right) strings. With
    /// <paramref name="individualDigits"/> every digit stays its own token (a Digits pre-tokenizer runs first),
    /// which lets a small model learn arithmetic digit by digit.
    /// </summary>
    public static void Train(
        IEnumerable<string> corpus,
        int vocabSize,
        IReadOnlyList<string> specialTokens,
        string outputTokenizerJsonPath,
        int minFrequency = 2,
        bool individualDigits = false)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(specialTokens);
        ArgumentException.ThrowIfNullOrEmpty(outputTokenizerJsonPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);
        var specials = specialTokens.Distinct(StringComparer.Ordinal).ToList();
        if (specials.Exists(string.IsNullOrEmpty))
        {
            throw new ArgumentException("special tokens must be non-empty", nameof(specialTokens));
        }

        if (vocabSize < specials.Count + 256)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"must be at least {specials.Count + 256}: the special tokens plus the 256 byte symbols");
        }

        var tokens = new List<string>(vocabSize);
        tokens.AddRange(specials);
        foreach (var c in ByteLevelAlphabet.AllCharsOrdered())
        {
            var symbol = c.ToString();
            if (!tokens.Contains(symbol))
            {
                tokens.Add(symbol);
            }
        }

        var words = CountWords(corpus, specials, individualDigits);
        var merges = new BpePairMerger(tokens, words).Run(vocabSize, minFrequency);
        TokenizerJsonWriter.Write(outputTokenizerJsonPath, tokens, specials.Count, merges, individualDigits);
    }

    private static Dictionary<string, long> CountWords(IEnumerable<string> corpus, List<string> specials, bool individualDigits)
    {
        // Special tokens in the corpus are document separators, not text to learn merges from.
        var splitter = new AddedTokenSplitter(specials.Select((s, i) => new AddedToken(i, s, Special: true)));
        PreTokenizer preTokenizer = new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true);
        if (individualDigits)
        {
            preTokenizer = new SequencePreTokenizer([PreTokenizer.IndividualDigits(), preTokenizer]);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in corpus)
        {
            if (string.IsNullOrEmpty(text))
            {
                continue;
            }

            splitter.Split(
                text,
                (segment, _) =>
                {
                    foreach (var word in preTokenizer.Run(segment, atStart: false))
                    {
                        counts[word.Text] = counts.GetValueOrDefault(word.Text) + 1;
                    }
                },
                static _ => { });
        }

        return counts;
    }
}
