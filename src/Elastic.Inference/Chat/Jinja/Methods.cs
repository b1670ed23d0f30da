namespace Elastic.Inference.Chat.Jinja;

/// <summary>The Python methods chat templates call on strings, dicts and lists (read-only ones: HF renders in an immutable sandbox).</summary>
internal static class Methods
{
    private static JinjaFunction Fn(string name, Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> f) =>
        new(name, f);

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int i, string name) =>
        i < args.Count ? args[i] : kwargs.TryGetValue(name, out var v) ? v : null;

    public static JinjaFunction? ForString(string s, string name) => name switch
    {
        "startswith" => Fn(name, (a, k) => Prefixes(Arg(a, k, 0, "prefix")).Any(p => s.StartsWith(p, StringComparison.Ordinal))),
        "endswith" => Fn(name, (a, k) => Prefixes(Arg(a, k, 0, "suffix")).Any(p => s.EndsWith(p, StringComparison.Ordinal))),
        "strip" => Fn(name, (a, k) => Strip(s, Arg(a, k, 0, "chars"), left: true, right: true)),
        "lstrip" => Fn(name, (a, k) => Strip(s, Arg(a, k, 0, "chars"), left: true, right: false)),
        "rstrip" => Fn(name, (a, k) => Strip(s, Arg(a, k, 0, "chars"), left: false, right: true)),
        "split" => Fn(name, (a, k) => Split(s, Arg(a, k, 0, "sep"), Arg(a, k, 1, "maxsplit"))),
        "rsplit" => Fn(name, (a, k) => RSplit(s, Arg(a, k, 0, "sep"), Arg(a, k, 1, "maxsplit"))),
        "splitlines" => Fn(name, (_, _) => SplitLines(s)),
        "upper" => Fn(name, (_, _) => s.ToUpperInvariant()),
        "lower" => Fn(name, (_, _) => s.ToLowerInvariant()),
        "title" => Fn(name, (_, _) => Filters.Title(s)),
        "capitalize" => Fn(name, (_, _) => Filters.Capitalize(s)),
        "replace" => Fn(name, (a, k) => Filters.Replace(s, Values.ToStr(Arg(a, k, 0, "old")), Values.ToStr(Arg(a, k, 1, "new")), Arg(a, k, 2, "count"))),
        "find" => Fn(name, (a, k) => (long)s.IndexOf(Values.ToStr(Arg(a, k, 0, "sub")), StringComparison.Ordinal)),
        "rfind" => Fn(name, (a, k) => (long)s.LastIndexOf(Values.ToStr(Arg(a, k, 0, "sub")), StringComparison.Ordinal)),
        "count" => Fn(name, (a, k) => (long)CountOccurrences(s, Values.ToStr(Arg(a, k, 0, "sub")))),
        "join" => Fn(name, (a, k) => string.Join(s, Values.Iterate(Arg(a, k, 0, "iterable")).Select(Values.ToStr))),
        "isdigit" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isspace" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace)),
        "isalpha" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
        _ => null,
    };

    public static JinjaFunction? ForDict(JinjaDict dict, string name) => name switch
    {
        "items" => Fn(name, (_, _) => dict.Items.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
        "keys" => Fn(name, (_, _) => dict.Keys.Cast<object?>().ToList()),
        "values" => Fn(name, (_, _) => dict.Values.ToList()),
        "get" => Fn(name, (a, k) => dict.TryGet(Values.ToStr(Arg(a, k, 0, "key")), out var v) ? v : Arg(a, k, 1, "default")),
        _ => null,
    };

    public static JinjaFunction? ForList(List<object?> list, string name) => name switch
    {
        "index" => Fn(name, (a, k) =>
        {
            var item = Arg(a, k, 0, "value");
            var i = list.FindIndex(x => Values.Equal(x, item));
            return i >= 0 ? (long)i : throw new InvalidOperationException($"{Values.Repr(item)} is not in list");
        }),
        "count" => Fn(name, (a, k) => (long)list.Count(x => Values.Equal(x, Arg(a, k, 0, "value")))),
        _ => null,
    };

    private static IEnumerable<string> Prefixes(object? arg) => arg switch
    {
        string s => [s],
        List<object?> l => l.Select(Values.ToStr),
        _ => throw new InvalidOperationException($"startswith/endswith arg must be str or a tuple of str, not {Values.TypeName(arg)}"),
    };

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        if (chars is null or Undefined)
        {
            return left && right ? s.Trim() : left ? s.TrimStart() : s.TrimEnd();
        }

        var set = Values.ToStr(chars).ToCharArray();
        return left && right ? s.Trim(set) : left ? s.TrimStart(set) : s.TrimEnd(set);
    }

    private static List<object?> Split(string s, object? sep, object? maxsplit)
    {
        var max = maxsplit is null or Undefined ? -1 : Values.ToLong(maxsplit);
        if (sep is null or Undefined)
        {
            // Python's split() with no separator: runs of whitespace, no empty strings.
            var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (max < 0 || parts.Length <= max)
            {
                return parts.Cast<object?>().ToList();
            }

            var trimmed = s.TrimStart();
            var result = new List<object?>();
            for (var i = 0; i < max; i++)
            {
                var end = trimmed.IndexOfAny([' ', '\t', '\n', '\r', '\f', '\v']);
                result.Add(trimmed[..end]);
                trimmed = trimmed[end..].TrimStart();
            }

            result.Add(trimmed);
            return result;
        }

        var separator = Values.ToStr(sep);
        if (separator.Length == 0)
        {
            throw new InvalidOperationException("empty separator");
        }

        return (max < 0 ? s.Split(separator) : s.Split(separator, (int)max + 1)).Cast<object?>().ToList();
    }

    private static List<object?> RSplit(string s, object? sep, object? maxsplit)
    {
        var max = maxsplit is null or Undefined ? -1 : Values.ToLong(maxsplit);
        if (max < 0 || sep is null or Undefined)
        {
            return Split(s, sep, null);
        }

        var separator = Values.ToStr(sep);
        var parts = new List<object?>();
        var rest = s;
        for (var i = 0; i < max; i++)
        {
            var at = rest.LastIndexOf(separator, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            parts.Insert(0, rest[(at + separator.Length)..]);
            rest = rest[..at];
        }

        parts.Insert(0, rest);
        return parts;
    }

    private static List<object?> SplitLines(string s)
    {
        var lines = s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).ToList();
        if (s.EndsWith('\n'))
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        var n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
