using System.Globalization;
using System.Text;

namespace Elastic.Inference.Chat.Jinja;

/// <summary>
/// <c>tojson</c> as Hugging Face overrides it: Python's <c>json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)</c>,
/// so tool schemas serialise byte-for-byte like transformers (", " and ": " separators, no HTML escaping).
/// </summary>
internal static class Json
{
    public static string Serialize(object? value, int? indent, string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii)
    {
        var sb = new StringBuilder();
        var w = new Writer(sb, indent, indent is null ? itemSeparator : itemSeparator.TrimEnd(), keySeparator, sortKeys, ensureAscii);
        w.Write(value, 0);
        return sb.ToString();
    }

    private sealed class Writer(StringBuilder sb, int? indent, string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii)
    {
        public void Write(object? value, int depth)
        {
            switch (value)
            {
                case null or Undefined:
                    sb.Append("null");
                    break;
                case bool b:
                    sb.Append(b ? "true" : "false");
                    break;
                case long l:
                    sb.Append(l.ToString(CultureInfo.InvariantCulture));
                    break;
                case double d:
                    sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : Values.FormatFloat(d));
                    break;
                case string s:
                    WriteString(s);
                    break;
                case List<object?> list:
                    WriteList(list, depth);
                    break;
                case JinjaDict dict:
                    WriteDict(dict, depth);
                    break;
                case JinjaNamespace ns:
                    var asDict = new JinjaDict();
                    foreach (var (k, v) in ns.Attributes)
                    {
                        asDict.Set(k, v);
                    }

                    WriteDict(asDict, depth);
                    break;
                default:
                    throw new InvalidOperationException($"Object of type {Values.TypeName(value)} is not JSON serializable");
            }
        }

        private void WriteList(List<object?> list, int depth)
        {
            if (list.Count == 0)
            {
                sb.Append("[]");
                return;
            }

            sb.Append('[');
            for (var i = 0; i < list.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(itemSeparator);
                }

                NewLine(depth + 1);
                Write(list[i], depth + 1);
            }

            NewLine(depth);
            sb.Append(']');
        }

        private void WriteDict(JinjaDict dict, int depth)
        {
            if (dict.Count == 0)
            {
                sb.Append("{}");
                return;
            }

            IEnumerable<KeyValuePair<string, object?>> items = dict.Items;
            if (sortKeys)
            {
                items = items.OrderBy(kv => kv.Key, StringComparer.Ordinal);
            }

            sb.Append('{');
            var first = true;
            foreach (var (key, value) in items)
            {
                if (!first)
                {
                    sb.Append(itemSeparator);
                }

                first = false;
                NewLine(depth + 1);
                WriteString(key);
                sb.Append(keySeparator);
                Write(value, depth + 1);
            }

            NewLine(depth);
            sb.Append('}');
        }

        private void NewLine(int depth)
        {
            if (indent is { } n)
            {
                sb.Append('\n').Append(' ', n * depth);
            }
        }

        private void WriteString(string s)
        {
            sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7f))
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }

                        break;
                }
            }

            sb.Append('"');
        }
    }
}
