namespace Elastic.Inference.Chat.Jinja;

/// <summary>Operators and attribute/item access with Python semantics. Type errors surface as <see cref="InvalidOperationException"/>.</summary>
internal static class Ops
{
    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~")
        {
            return Values.ToStr(a) + Values.ToStr(b);
        }

        FailIfUndefined(a);
        FailIfUndefined(b);
        if (Values.IsNumber(a) && Values.IsNumber(b))
        {
            return Arithmetic(op, a, b);
        }

        return (op, a, b) switch
        {
            ("+", string x, string y) => x + y,
            ("+", List<object?> x, List<object?> y) => x.Concat(y).ToList(),
            ("*", string x, long or bool) => Repeat(x, Values.ToLong(b)),
            ("*", long or bool, string y) => Repeat(y, Values.ToLong(a)),
            ("*", List<object?> x, long or bool) => Enumerable.Repeat(x, (int)Math.Max(0, Values.ToLong(b))).SelectMany(l => l).ToList(),
            _ => throw new InvalidOperationException(
                $"unsupported operand type(s) for {op}: '{Values.TypeName(a)}' and '{Values.TypeName(b)}'"),
        };
    }

    private static string Repeat(string s, long n) => n <= 0 ? string.Empty : string.Concat(Enumerable.Repeat(s, (int)n));

    private static object Arithmetic(string op, object? a, object? b)
    {
        if (op == "/")
        {
            var divisor = Values.ToDouble(b);
            return divisor == 0 ? throw new InvalidOperationException("division by zero") : Values.ToDouble(a) / divisor;
        }

        if (op == "**")
        {
            var result = Math.Pow(Values.ToDouble(a), Values.ToDouble(b));
            return a is double || b is double || Values.ToLong(b) < 0 ? result : (object)(long)result;
        }

        if (a is double || b is double)
        {
            double x = Values.ToDouble(a), y = Values.ToDouble(b);
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "//" => y == 0 ? throw new InvalidOperationException("division by zero") : Math.Floor(x / y),
                "%" => y == 0 ? throw new InvalidOperationException("modulo by zero") : x - (y * Math.Floor(x / y)),
                _ => throw new InvalidOperationException($"unknown operator {op}"),
            };
        }

        long l = Values.ToLong(a), r = Values.ToLong(b);
        return op switch
        {
            "+" => l + r,
            "-" => l - r,
            "*" => l * r,
            "//" => r == 0 ? throw new InvalidOperationException("division by zero") : FloorDiv(l, r),
            "%" => r == 0 ? throw new InvalidOperationException("modulo by zero") : l - (r * FloorDiv(l, r)),
            _ => throw new InvalidOperationException($"unknown operator {op}"),
        };
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    public static object? Negate(object? v)
    {
        FailIfUndefined(v);
        return v switch
        {
            double d => (object)(-d),
            long or bool => -Values.ToLong(v),
            _ => throw new InvalidOperationException($"bad operand type for unary -: '{Values.TypeName(v)}'"),
        };
    }

    public static bool Compare(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==":
                return Values.Equal(a, b);
            case "!=":
                return !Values.Equal(a, b);
            case "in":
                return Contains(b, a);
            case "notin":
                return !Contains(b, a);
        }

        var c = Order(a, b, op);
        return op switch
        {
            "<" => c < 0,
            "<=" => c <= 0,
            ">" => c > 0,
            ">=" => c >= 0,
            _ => throw new InvalidOperationException($"unknown comparison {op}"),
        };
    }

    private static int Order(object? a, object? b, string op)
    {
        if (Values.IsNumber(a) && Values.IsNumber(b))
        {
            return Values.ToDouble(a).CompareTo(Values.ToDouble(b));
        }

        if (a is string x && b is string y)
        {
            return string.CompareOrdinal(x, y);
        }

        FailIfUndefined(a);
        FailIfUndefined(b);
        throw new InvalidOperationException(
            $"'{op}' not supported between instances of '{Values.TypeName(a)}' and '{Values.TypeName(b)}'");
    }

    public static int Order(object? a, object? b) => Order(a, b, "<");

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new InvalidOperationException($"'in <string>' requires string as left operand, not {Values.TypeName(item)}"),
        List<object?> list => list.Any(x => Values.Equal(x, item)),
        JinjaDict dict => item is string key && dict.ContainsKey(key),
        Undefined => false,
        _ => throw new InvalidOperationException($"argument of type '{Values.TypeName(container)}' is not iterable"),
    };

    /// <summary><c>obj.name</c>: attributes (methods) first, then items, else Undefined.</summary>
    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case Undefined u:
                throw new InvalidOperationException(u.Describe());
            case JinjaDict dict:
                return Methods.ForDict(dict, name) ?? (dict.TryGet(name, out var v) ? v : new Undefined(name));
            case string s:
                return (object?)Methods.ForString(s, name) ?? new Undefined(name);
            case List<object?> list:
                return (object?)Methods.ForList(list, name) ?? new Undefined(name);
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var attr) ? attr : new Undefined(name);
            case LoopInfo loop:
                return loop.GetAttribute(name);
            default:
                return new Undefined(name);
        }
    }

    /// <summary><c>obj[key]</c>: items first, then attributes; a missing index is Undefined, not an error.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Undefined u:
                throw new InvalidOperationException(u.Describe());
            case List<object?> list when key is long or bool:
                var i = NormaliseIndex(Values.ToLong(key), list.Count);
                return i is { } idx ? list[idx] : new Undefined($"[{key}]");
            case string s when key is long or bool:
                var j = NormaliseIndex(Values.ToLong(key), s.Length);
                return j is { } jdx ? s[jdx].ToString() : new Undefined($"[{key}]");
            case JinjaDict dict:
                var k = Values.ToStr(key);
                return dict.TryGet(k, out var v) ? v : (object?)Methods.ForDict(dict, k) ?? new Undefined(k);
            default:
                return key is string name ? GetAttr(obj, name) : new Undefined($"[{Values.ToStr(key)}]");
        }
    }

    private static int? NormaliseIndex(long index, int count)
    {
        var i = index < 0 ? index + count : index;
        return i >= 0 && i < count ? (int)i : null;
    }

    /// <summary>Python slicing, negative bounds and steps included.</summary>
    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        FailIfUndefined(obj);
        var count = obj switch
        {
            List<object?> l => l.Count,
            string s => s.Length,
            _ => throw new InvalidOperationException($"'{Values.TypeName(obj)}' object is not subscriptable"),
        };
        var indices = SliceIndices(count, OptionalLong(start), OptionalLong(stop), OptionalLong(step));
        return obj is string str
            ? string.Concat(indices.Select(i => str[i]))
            : indices.Select(i => ((List<object?>)obj)[i]).ToList();
    }

    private static long? OptionalLong(object? v) => v is null or Undefined ? null : Values.ToLong(v);

    private static List<int> SliceIndices(int count, long? start, long? stop, long? step)
    {
        var st = step ?? 1;
        if (st == 0)
        {
            throw new InvalidOperationException("slice step cannot be zero");
        }

        long Clamp(long? v, long dflt, long lo, long hi)
        {
            if (v is not { } x)
            {
                return dflt;
            }

            if (x < 0)
            {
                x += count;
            }

            return Math.Clamp(x, lo, hi);
        }

        var result = new List<int>();
        if (st > 0)
        {
            long a = Clamp(start, 0, 0, count), b = Clamp(stop, count, 0, count);
            for (var i = a; i < b; i += st)
            {
                result.Add((int)i);
            }
        }
        else
        {
            long a = Clamp(start, count - 1, -1, count - 1), b = Clamp(stop, -1, -1, count - 1);
            for (var i = a; i > b; i += st)
            {
                result.Add((int)i);
            }
        }

        return result;
    }

    public static void FailIfUndefined(object? v)
    {
        if (v is Undefined u)
        {
            throw new InvalidOperationException(u.Describe());
        }
    }
}
