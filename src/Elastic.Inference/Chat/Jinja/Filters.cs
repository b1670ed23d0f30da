using System.Globalization;
using System.Text;

namespace Elastic.Inference.Chat.Jinja;

/// <summary>The built-in Jinja filters chat templates use, plus HF's <c>tojson</c> override.</summary>
internal static class Filters
{
    private static readonly HashSet<string> Known =
    [
        "trim", "length", "count", "tojson", "string", "upper", "lower", "capitalize", "title", "default", "d",
        "join", "replace", "first", "last", "list", "items", "selectattr", "rejectattr", "select", "reject", "map",
        "int", "float", "abs", "round", "reverse", "sort", "unique", "sum", "min", "max", "safe", "e", "escape",
        "indent", "dictsort", "batch", "wordcount", "center", "striptags", "truncate", "bool",
    ];

    public static bool IsKnown(string name) => Known.Contains(name);

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int i, string name, object? fallback = null) =>
        i < args.Count ? args[i] : kwargs.TryGetValue(name, out var v) ? v : fallback;

    public static object? Apply(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        switch (name)
        {
            case "default" or "d":
                var useIfFalsy = Values.Truthy(Arg(args, kwargs, 1, "boolean", false));
                return value is Undefined || (useIfFalsy && !Values.Truthy(value)) ? Arg(args, kwargs, 0, "default_value", string.Empty) : value;
            case "length" or "count":
                return (long)Length(value);
            case "string":
                return Values.ToStr(value);
            case "safe" or "e" or "escape":
                // HF renders without autoescape, so escaping is the identity here.
                return name == "safe" ? value : Escape(Values.ToStr(value));
            case "bool":
                return Values.Truthy(value);
            case "list":
                return Values.Iterate(value).ToList();
            case "items":
                return value is Undefined ? [] : value is JinjaDict d
                    ? d.Items.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : throw new InvalidOperationException($"items filter needs a mapping, got {Values.TypeName(value)}");
            case "first":
                var items = Values.Iterate(value);
                return items.Count > 0 ? items[0] : new Undefined("first");
            case "last":
                var all = Values.Iterate(value);
                return all.Count > 0 ? all[^1] : new Undefined("last");
            case "reverse":
                return value is string rs ? new string(rs.Reverse().ToArray()) : Enumerable.Reverse(Values.Iterate(value)).ToList();
            case "tojson":
                return ToJson(value, args, kwargs);
            case "join":
                return Join(value, args, kwargs);
            case "map":
                return Map(value, args, kwargs);
            case "selectattr" or "rejectattr":
                return SelectAttr(value, args, kwargs, name == "selectattr");
            case "select" or "reject":
                return Values.Iterate(value).Where(x => RunTest(x, args, 0) == (name == "select")).ToList();
            case "sort":
                return Sort(value, kwargs, args);
            case "unique":
                var unique = new List<object?>();
                foreach (var x in Values.Iterate(value).Where(x => !unique.Any(u => Values.Equal(u, x))))
                {
                    unique.Add(x);
                }

                return unique;
            case "dictsort":
                return value is JinjaDict ds
                    ? ds.Items.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : throw new InvalidOperationException("dictsort filter needs a mapping");
            case "sum":
                return Sum(value, args, kwargs);
            case "min" or "max":
                var seq = Values.Iterate(value);
                if (seq.Count == 0)
                {
                    return new Undefined(name);
                }

                return seq.Aggregate((a, b) => (Ops.Order(a, b) <= 0) == (name == "min") ? a : b);
            case "batch":
                var size = (int)Values.ToLong(Arg(args, kwargs, 0, "linecount"));
                return Values.Iterate(value).Chunk(Math.Max(1, size)).Select(c => (object?)c.ToList()).ToList();
            default:
                return ApplyScalar(name, value, args, kwargs);
        }
    }

    private static object? ApplyScalar(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        switch (name)
        {
            case "int":
                return ToInt(value, Arg(args, kwargs, 0, "default", 0L));
            case "float":
                return ToFloat(value, Arg(args, kwargs, 0, "default", 0.0));
            case "abs":
                return value is double d ? Math.Abs(d) : (object)Math.Abs(Values.ToLong(value));
            case "round":
                var precision = (int)Values.ToLong(Arg(args, kwargs, 0, "precision", 0L));
                var method = Values.ToStr(Arg(args, kwargs, 1, "method", "common"));
                var x = Values.ToDouble(value);
                var factor = Math.Pow(10, precision);
                return method switch
                {
                    "floor" => Math.Floor(x * factor) / factor,
                    "ceil" => Math.Ceiling(x * factor) / factor,
                    _ => Math.Round(x, precision, MidpointRounding.AwayFromZero),
                };
        }

        var s = Values.ToStr(value);
        return name switch
        {
            "trim" => Methods.Strip(s, Arg(args, kwargs, 0, "chars"), left: true, right: true),
            "upper" => s.ToUpperInvariant(),
            "lower" => s.ToLowerInvariant(),
            "capitalize" => Capitalize(s),
            "title" => Title(s),
            "replace" => Replace(s, Values.ToStr(Arg(args, kwargs, 0, "old")), Values.ToStr(Arg(args, kwargs, 1, "new")), Arg(args, kwargs, 2, "count")),
            "indent" => Indent(s, args, kwargs),
            "wordcount" => (long)s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length,
            "center" => Center(s, (int)Values.ToLong(Arg(args, kwargs, 0, "width", 80L))),
            "striptags" => System.Text.RegularExpressions.Regex.Replace(s, "<[^>]*>", string.Empty),
            "truncate" => Truncate(s, (int)Values.ToLong(Arg(args, kwargs, 0, "length", 255L))),
            _ => throw new InvalidOperationException($"no filter named '{name}'"),
        };
    }

    private static int Length(object? value) => value switch
    {
        string s => s.Length,
        List<object?> l => l.Count,
        JinjaDict d => d.Count,
        Undefined => 0,
        _ => throw new InvalidOperationException($"object of type '{Values.TypeName(value)}' has no len()"),
    };

    private static string ToJson(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var indentArg = Arg(args, kwargs, 0, "indent");
        int? indent = indentArg is null or Undefined ? null : (int)Values.ToLong(indentArg);
        var itemSep = indent is null ? ", " : ",";
        var keySep = ": ";
        if (kwargs.TryGetValue("separators", out var seps) && seps is List<object?> { Count: 2 } pair)
        {
            itemSep = Values.ToStr(pair[0]);
            keySep = Values.ToStr(pair[1]);
        }

        var sortKeys = Values.Truthy(Arg([], kwargs, 0, "sort_keys", false));
        var ensureAscii = Values.Truthy(Arg([], kwargs, 0, "ensure_ascii", false));
        return Json.Serialize(value, indent, itemSep, keySep, sortKeys, ensureAscii);
    }

    private static string Join(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var sep = Values.ToStr(Arg(args, kwargs, 0, "d", string.Empty));
        var attribute = Arg(args, kwargs, 1, "attribute");
        var items = Values.Iterate(value);
        var parts = attribute is string attr ? items.Select(x => Ops.GetItem(x, attr)) : items;
        return string.Join(sep, parts.Select(Values.ToStr));
    }

    private static List<object?> Map(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var items = Values.Iterate(value);
        if (kwargs.TryGetValue("attribute", out var attr))
        {
            kwargs.TryGetValue("default", out var fallback);
            return items.Select(x =>
            {
                var v = Ops.GetItem(x, attr);
                return v is Undefined && kwargs.ContainsKey("default") ? fallback : v;
            }).ToList();
        }

        if (args.Count == 0 || args[0] is not string filter || !IsKnown(filter))
        {
            throw new InvalidOperationException("map needs a filter name or attribute=");
        }

        var rest = args.Skip(1).ToList();
        return items.Select(x => Apply(filter, x, rest, kwargs)).ToList();
    }

    private static List<object?> SelectAttr(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, bool select)
    {
        if (args.Count == 0 || args[0] is not string attr)
        {
            throw new InvalidOperationException("selectattr/rejectattr need an attribute name");
        }

        return Values.Iterate(value).Where(x => RunTest(Ops.GetItem(x, attr), args, 1) == select).ToList();
    }

    // args[offset] names the test (none means truthiness); the rest are its arguments.
    private static bool RunTest(object? value, IReadOnlyList<object?> args, int offset)
    {
        if (args.Count <= offset)
        {
            return Values.Truthy(value);
        }

        var test = Values.ToStr(args[offset]);
        return TestFunctions.Apply(test, value, args.Skip(offset + 1).ToList());
    }

    private static List<object?> Sort(object? value, IReadOnlyDictionary<string, object?> kwargs, IReadOnlyList<object?> args)
    {
        var reverse = Values.Truthy(Arg(args, kwargs, 0, "reverse", false));
        var caseSensitive = Values.Truthy(Arg(args, kwargs, 1, "case_sensitive", false));
        var attribute = Arg(args, kwargs, 2, "attribute");
        object? Key(object? x)
        {
            var k = attribute is string a ? Ops.GetItem(x, a) : x;
            return !caseSensitive && k is string s ? s.ToLowerInvariant() : k;
        }

        var list = Values.Iterate(value).ToList();
        var sorted = list.Select((x, i) => (x, i)).OrderBy(p => Key(p.x), Comparer<object?>.Create(Ops.Order)).ThenBy(p => p.i).Select(p => p.x).ToList();
        if (reverse)
        {
            sorted.Reverse();
        }

        return sorted;
    }

    private static object Sum(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var attribute = Arg(args, kwargs, 0, "attribute");
        object? total = Arg(args, kwargs, 1, "start", 0L);
        foreach (var x in Values.Iterate(value))
        {
            total = Ops.Binary("+", total, attribute is string a ? Ops.GetItem(x, a) : x);
        }

        return total ?? 0L;
    }

    private static object? ToInt(object? value, object? fallback) => value switch
    {
        long or bool => Values.ToLong(value),
        double d => (long)d,
        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) => (long)f,
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or bool or double => Values.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) => f,
        _ => fallback,
    };

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var startOfWord = true;
        foreach (var c in s)
        {
            sb.Append(startOfWord ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            startOfWord = !char.IsLetterOrDigit(c);
        }

        return sb.ToString();
    }

    public static string Replace(string s, string oldValue, string newValue, object? count)
    {
        if (count is null or Undefined)
        {
            return oldValue.Length == 0 ? s : s.Replace(oldValue, newValue, StringComparison.Ordinal);
        }

        var remaining = Values.ToLong(count);
        var sb = new StringBuilder();
        var pos = 0;
        while (remaining-- > 0 && oldValue.Length > 0)
        {
            var at = s.IndexOf(oldValue, pos, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            sb.Append(s, pos, at - pos).Append(newValue);
            pos = at + oldValue.Length;
        }

        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static string Indent(string s, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var width = Arg(args, kwargs, 0, "width", 4L);
        var pad = width is string w ? w : new string(' ', (int)Values.ToLong(width));
        var first = Values.Truthy(Arg(args, kwargs, 1, "first", false));
        var blank = Values.Truthy(Arg(args, kwargs, 2, "blank", false));
        var lines = s.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if ((i > 0 || first) && (blank || lines[i].Length > 0))
            {
                lines[i] = pad + lines[i];
            }
        }

        return string.Join('\n', lines);
    }

    private static string Center(string s, int width)
    {
        if (s.Length >= width)
        {
            return s;
        }

        var left = (width - s.Length) / 2;
        return s.PadLeft(s.Length + left).PadRight(width);
    }

    private static string Truncate(string s, int length) =>
        s.Length <= length ? s : string.Concat(s.AsSpan(0, Math.Max(0, length - 3)), "...");

    private static string Escape(string s) => s
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&#34;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);
}
