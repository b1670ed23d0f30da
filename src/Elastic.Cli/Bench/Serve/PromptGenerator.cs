namespace Elastic.Cli.Bench.Serve;

/// <summary>How random prompts are sent: as text of common words, or as token ids in <c>prompt: [ids]</c>.</summary>
internal enum PromptMode
{
    Words,
    Ids,
}

/// <summary>One request's prompt (text or ids), its prompt length in tokens (exact for ids, requested for words) and its output length.</summary>
internal sealed record BenchPrompt(string? Text, int[]? TokenIds, int PromptTokens, int OutputTokens);

/// <summary>
/// Seeded random prompts of given lengths, like vLLM's random dataset. With <see cref="PromptMode.Ids"/> the
/// prompt length is exact; with words it is about one token per word for a typical BPE vocabulary.
/// Lengths vary uniformly within ±rangeRatio of the target.
/// </summary>
internal sealed class PromptGenerator(PromptMode mode, int inputLength, int outputLength, double rangeRatio, int vocabularySize, Random random)
{
    // Short common words that most BPE vocabularies hold as single tokens.
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
        "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their",
        "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so",
        "no", "time", "people", "year", "way", "day", "man", "thing", "woman", "life", "child", "world", "school",
        "state", "family", "group", "country", "problem", "hand", "part", "place", "case", "week", "number", "point",
        "home", "water", "room", "mother", "area", "money", "story", "fact", "month", "lot", "right", "study", "book",
        "eye", "job", "word", "business", "issue", "side", "kind", "head", "house", "service", "friend", "father",
        "power", "hour", "game", "line", "end", "member", "law", "car", "city", "name", "team", "minute", "idea",
    ];

    public BenchPrompt Next()
    {
        var promptLength = Vary(inputLength);
        var output = Vary(outputLength);
        if (mode == PromptMode.Ids)
        {
            var ids = new int[promptLength];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = random.Next(vocabularySize);
            }

            return new BenchPrompt(null, ids, promptLength, output);
        }

        var words = new string[promptLength];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = Words[random.Next(Words.Length)];
        }

        return new BenchPrompt(string.Join(' ', words), null, promptLength, output);
    }

    private int Vary(int length)
    {
        if (rangeRatio <= 0)
        {
            return length;
        }

        var low = Math.Max(1, (int)Math.Floor(length * (1 - rangeRatio)));
        var high = Math.Max(low, (int)Math.Ceiling(length * (1 + rangeRatio)));
        return random.Next(low, high + 1);
    }
}
