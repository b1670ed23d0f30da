using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elastic.Inference.Chat.Jinja;

// Runtime values are plain CLR objects modelled on Python's:
// null = None, bool, long = int, double = float, string, List<object?> = list/tuple,
// JinjaDict = dict, plus Undefined, JinjaNamespace, LoopInfo and JinjaFunction.

/// <summary>Jinja's default <c>Undefined</c>: falsy, renders empty, iterates as empty, fails on arithmetic and attribute access.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Anonymous = new(string.Empty);

    public Undefined(string hint) => Hint = hint;

    /// <summary>What was looked up, for error messages.</summary>
    public string Hint { get; }

    public string Describe() => Hint.Length == 0 ? "value is undefined" : $"'{Hint}' is undefined";
}

/// <summary>A dict with Python's insertion-ordered semantics.</summary>
internal sealed class JinjaDict
{
    private readonly OrderedDictionary<string, object?> _items = new(StringComparer.Ordinal);

    public int Count => _items.Count;

    public IEnumerable<string> Keys => _items.Keys;

    public IEnumerable<object?> Values => _items.Values;

    public IEnumerable<KeyValuePair<string, object?>> Items => _items;

    public bool TryGet(string key, out object? value) => _items.TryGetValue(key, out value);

    public bool ContainsKey(string key) => _items.ContainsKey(key);

    public void Set(string key, object? value) => _items[key] = value;
}

/// <summary>The mutable object returned by <c>namespace(...)</c>; its attributes survive loop scopes.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A callable: globals, macros, and bound methods like <c>str.startswith</c>.</summary>
internal sealed class JinjaFunction
{
    public JinjaFunction(string name, Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> invoke)
    {
        Name = name;
        Invoke = invoke;
    }

    public string Name { get; }

    public Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> Invoke { get; }
}

/// <summary>The <c>loop</c> variable inside a for block.</summary>
internal sealed class LoopInfo
{
    private readonly IReadOnlyList<object?> _items;

    public LoopInfo(IReadOnlyList<object?> items) => _items = items;

    public int Index0 { get; set; }

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "first" => Index0 == 0,
        "last" => Index0 == _items.Count - 1,
        "length" => (long)_items.Count,
        "revindex" => (long)(_items.Count - Index0),
        "revindex0" => (long)(_items.Count - Index0 - 1),
        "previtem" => Index0 > 0 ? _items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < _items.Count ? _items[Index0 + 1] : new Undefined("loop.nextitem"),
        "depth" => 1L,
        "depth0" => 0L,
        "cycle" => new JinjaFunction("loop.cycle", (args, _) => args.Count == 0 ? null : args[Index0 % args.Count]),
        _ => new Undefined($"loop.{name}"),
    };
}

internal static class Values
{
    public static bool IsUndefined(object? v) => v is Undefined;

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        JinjaDict d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python's <c>str()</c>, which is what <c>{{ x }}</c> and <c>|string</c> print.</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Repr(v),
    };

    /// <summary>Python's <c>repr()</c>, used for containers and their elements.</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null:
                sb.Append("None");
                break;
            case Undefined:
                break;
            case bool b:
                sb.Append(b ? "True" : "False");
                break;
            case long l:
                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append(FormatFloat(d));
                break;
            case string s:
                var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
                sb.Append(quote);
                foreach (var c in s)
                {
                    switch (c)
                    {
                        case '\\': sb.Append("\\\\"); break;
                        case '\n': sb.Append("\\n"); break;
                        case '\r': sb.Append("\\r"); break;
                        case '\t': sb.Append("\\t"); break;
                        default:
                            if (c == quote)
                            {
                                sb.Append('\\');
                            }

                            sb.Append(c);
                            break;
                    }
                }

                sb.Append(quote);
                break;
            case List<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    AppendRepr(sb, list[i]);
                }

                sb.Append(']');
                break;
            case JinjaDict dict:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in dict.Items)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    AppendRepr(sb, key);
                    sb.Append(": ");
                    AppendRepr(sb, value);
                }

                sb.Append('}');
                break;
            case JinjaNamespace:
                sb.Append("<Namespace>");
                break;
            case JinjaFunction f:
                sb.Append("<function ").Append(f.Name).Append('>');
                break;
            default:
                sb.Append(v);
                break;
        }
    }

    /// <summary>Python's float repr: shortest round-trip, always with a '.0' or exponent.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        if (d == Math.Floor(d) && Math.Abs(d) < 1e16)
        {
            return d.ToString("F1", CultureInfo.InvariantCulture);
        }

        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return r;
        }

        // .NET writes 1E-05 / 1E+16; Python writes 1e-05 / 1e+16.
        var mantissa = r[..e];
        var exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var sign = exponent < 0 ? "-" : "+";
        return $"{mantissa}e{sign}{Math.Abs(exponent):00}";
    }

    /// <summary>Python equality: 1 == 1.0 == True, containers compare element-wise.</summary>
    public static bool Equal(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a is Undefined || b is Undefined)
        {
            return a is Undefined && b is Undefined;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        }

        return (a, b) switch
        {
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (JinjaDict x, JinjaDict y) => x.Count == y.Count
                && x.Items.All(kv => y.TryGet(kv.Key, out var other) && Equal(kv.Value, other)),
            _ => ReferenceEquals(a, b),
        };
    }

    public static long ToLong(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => (long)d,
        _ => throw new InvalidOperationException($"expected a number, got {TypeName(v)}"),
    };

    public static double ToDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new InvalidOperationException($"expected a number, got {TypeName(v)}"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        JinjaDict => "dict",
        JinjaNamespace => "Namespace",
        LoopInfo => "LoopContext",
        JinjaFunction => "function",
        _ => v.GetType().Name,
    };

    /// <summary>What <c>for x in v</c> visits: list items, dict keys, string characters; Undefined is empty.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> list => list,
        JinjaDict dict => dict.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        Undefined => [],
        _ => throw new InvalidOperationException($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>Converts caller-supplied .NET values (strings, numbers, lists, dictionaries, JSON) to template values.</summary>
    public static object? FromClr(object? v) => v switch
    {
        null => null,
        string or bool or long or double or Undefined or JinjaDict or JinjaNamespace or JinjaFunction => v,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        float f => (double)f,
        decimal m => (double)m,
        ChatMessage m => MessageToDict(m),
        JsonNode node => FromJson(JsonSerializer.SerializeToElement(node)),
        JsonElement e => FromJson(e),
        IReadOnlyDictionary<string, object?> d => DictFrom(d),
        IDictionary<string, object?> d => DictFrom(d),
        IDictionary d => DictFrom(d.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture) ?? string.Empty, k => d[k])),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => v.ToString(),
    };

    private static JinjaDict MessageToDict(ChatMessage m)
    {
        var d = new JinjaDict();
        d.Set("role", m.Role);
        d.Set("content", m.Content);
        return d;
    }

    private static JinjaDict DictFrom(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var d = new JinjaDict();
        foreach (var (key, value) in pairs)
        {
            d.Set(key, FromClr(value));
        }

        return d;
    }

    private static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? (object)l : e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Array:
                return e.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.Object:
                var d = new JinjaDict();
                foreach (var p in e.EnumerateObject())
                {
                    d.Set(p.Name, FromJson(p.Value));
                }

                return d;
            default:
                return null;
        }
    }
}
