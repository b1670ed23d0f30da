namespace Elastic.Inference.Tokenization;

/// <summary>An entry of tokenizer.json "added_tokens" (or tokenizer_config.json "added_tokens_decoder").</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false, bool SingleWord = false);

/// <summary>Cuts input text at added tokens (leftmost, then longest match) before the model sees it.</summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ThenBy(t => t.Id).ToArray());
    }

    /// <summary>Calls <paramref name="onText"/> for each plain segment (text, start offset) and <paramref name="onToken"/> for each added token id.</summary>
    public void Split(string text, Action<string, int> onText, Action<int> onToken)
    {
        var segmentStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = _byFirstChar.Count == 0 ? null : MatchAt(text, i);
            if (match is null)
            {
                i++;
                continue;
            }

            var start = i;
            var end = i + match.Content.Length;
            if (match.LStrip)
            {
                while (start > segmentStart && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (match.RStrip)
            {
                while (end < text.Length && char.IsWhiteSpace(text[end]))
                {
                    end++;
                }
            }

            if (start > segmentStart)
            {
                onText(text[segmentStart..start], segmentStart);
            }

            onToken(match.Id);
            segmentStart = end;
            i = end;
        }

        if (segmentStart < text.Length)
        {
            onText(text[segmentStart..], segmentStart);
        }
    }

    private AddedToken? MatchAt(string text, int index)
    {
        if (!_byFirstChar.TryGetValue(text[index], out var candidates))
        {
            return null;
        }

        foreach (var token in candidates)
        {
            if (string.CompareOrdinal(text, index, token.Content, 0, token.Content.Length) != 0
                || index + token.Content.Length > text.Length)
            {
                continue;
            }

            if (token.SingleWord && !IsWholeWord(text, index, index + token.Content.Length))
            {
                continue;
            }

            return token;
        }

        return null;
    }

    private static bool IsWholeWord(string text, int start, int end)
    {
        static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
        return (start == 0 || !IsWordChar(text[start - 1])) && (end == text.Length || !IsWordChar(text[end]));
    }
}
