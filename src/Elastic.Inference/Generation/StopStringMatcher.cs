namespace Elastic.Inference.Generation;

/// <summary>
/// Finds stop strings in streamed text. Text that could still turn out to be the start of a stop string
/// is held back, so a client never receives part of a stop string.
/// </summary>
internal sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private readonly System.Text.StringBuilder _text = new();
    private int _emitted;

    /// <summary>Adds text; returns what may be emitted now and whether a stop string ended the output.</summary>
    public (string Emit, bool Stopped) Push(string delta)
    {
        if (stops.Count == 0)
        {
            return (delta, false);
        }

        var searchFrom = Math.Max(0, _emitted - stops.Max(s => s.Length));
        _text.Append(delta);
        var text = _text.ToString();
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, searchFrom, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
            }
        }

        if (cut >= 0)
        {
            var final = cut > _emitted ? text[_emitted..cut] : "";
            _emitted = Math.Max(_emitted, cut);
            return (final, true);
        }

        var safe = text.Length - LongestStopPrefixSuffix(text);
        if (safe > 0 && safe < text.Length && char.IsHighSurrogate(text[safe - 1]))
        {
            safe--;
        }

        var emit = safe > _emitted ? text[_emitted..safe] : "";
        _emitted = Math.Max(_emitted, safe);
        return (emit, false);
    }

    /// <summary>Everything still held back (the output ended without a stop string).</summary>
    public string Flush()
    {
        var text = _text.ToString();
        var rest = _emitted < text.Length ? text[_emitted..] : "";
        _emitted = text.Length;
        return rest;
    }

    private int LongestStopPrefixSuffix(string text)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
