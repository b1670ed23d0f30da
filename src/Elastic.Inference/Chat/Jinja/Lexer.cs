using System.Globalization;
using System.Text;

namespace Elastic.Inference.Chat.Jinja;

internal enum TokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column)
{
    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.Text => "template text",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        _ => $"'{Value}'",
    };
}

/// <summary>
/// Splits template source into text and tag tokens, applying Jinja's whitespace rules
/// (<c>-</c>/<c>+</c> markers, trim_blocks, lstrip_blocks, dropping one trailing newline).
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
    [
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}",
    ];

    private readonly string _src;
    private readonly bool _trimBlocks;
    private readonly bool _lstripBlocks;
    private readonly List<Token> _tokens = [];
    private readonly List<int> _lineStarts = [0];

    private Lexer(string source, bool trimBlocks, bool lstripBlocks)
    {
        // Jinja normalises newlines and (keep_trailing_newline=False) drops a single trailing one.
        var src = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (src.EndsWith('\n'))
        {
            src = src[..^1];
        }

        _src = src;
        _trimBlocks = trimBlocks;
        _lstripBlocks = lstripBlocks;
        for (var i = 0; i < src.Length; i++)
        {
            if (src[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public static List<Token> Tokenize(string source, bool trimBlocks, bool lstripBlocks)
    {
        var lexer = new Lexer(source, trimBlocks, lstripBlocks);
        lexer.Run();
        return lexer._tokens;
    }

    private (int Line, int Column) Position(int offset)
    {
        var idx = _lineStarts.BinarySearch(offset);
        if (idx < 0)
        {
            idx = ~idx - 1;
        }

        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    private ChatTemplateException Error(string message, int offset)
    {
        var (line, col) = Position(offset);
        return new ChatTemplateException(ChatTemplateErrorKind.Syntax, message, line, col);
    }

    private void Add(TokenKind kind, string value, int offset)
    {
        var (line, col) = Position(offset);
        _tokens.Add(new Token(kind, value, line, col));
    }

    private void Run()
    {
        var pos = 0;
        var stripNextText = false;
        while (pos <= _src.Length)
        {
            var tagAt = FindTagStart(pos);
            var textEnd = tagAt < 0 ? _src.Length : tagAt;
            var text = _src[pos..textEnd];
            if (stripNextText)
            {
                text = text.TrimStart();
                stripNextText = false;
            }

            if (tagAt < 0)
            {
                EmitText(text, pos);
                break;
            }

            var kindChar = _src[tagAt + 1];
            var marker = tagAt + 2 < _src.Length ? _src[tagAt + 2] : '\0';
            if (marker == '-')
            {
                text = text.TrimEnd();
            }
            else if (_lstripBlocks && marker != '+' && kindChar != '{')
            {
                text = LstripBeforeTag(text, pos);
            }

            EmitText(text, pos);
            var bodyStart = tagAt + 2 + (marker is '-' or '+' ? 1 : 0);
            pos = kindChar switch
            {
                '#' => LexComment(tagAt, bodyStart, out stripNextText),
                '%' => LexTag(tagAt, bodyStart, TokenKind.BlockBegin, TokenKind.BlockEnd, '%', out stripNextText),
                _ => LexTag(tagAt, bodyStart, TokenKind.VariableBegin, TokenKind.VariableEnd, '}', out stripNextText),
            };
        }

        Add(TokenKind.Eof, string.Empty, _src.Length);
    }

    private void EmitText(string text, int offset)
    {
        if (text.Length > 0)
        {
            Add(TokenKind.Text, text, offset);
        }
    }

    private int FindTagStart(int from)
    {
        for (var i = from; i < _src.Length - 1; i++)
        {
            if (_src[i] == '{' && _src[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    // lstrip_blocks removes spaces/tabs between the start of a line and a block or comment tag.
    private string LstripBeforeTag(string text, int textStart)
    {
        var j = text.Length;
        while (j > 0 && text[j - 1] is ' ' or '\t')
        {
            j--;
        }

        var atLineStart = j > 0 ? text[j - 1] == '\n' : textStart == 0 || _src[textStart - 1] == '\n';
        return atLineStart ? text[..j] : text;
    }

    private int LexComment(int tagAt, int bodyStart, out bool stripNext)
    {
        var end = _src.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("unterminated comment", tagAt);
        }

        stripNext = end > bodyStart && _src[end - 1] == '-';
        var keep = end > bodyStart && _src[end - 1] == '+';
        return AfterTagEnd(end + 2, stripNext, keep);
    }

    private int AfterTagEnd(int pos, bool stripNext, bool keep)
    {
        if (!stripNext && !keep && _trimBlocks && pos < _src.Length && _src[pos] == '\n')
        {
            return pos + 1;
        }

        return pos;
    }

    private int LexTag(int tagAt, int pos, TokenKind begin, TokenKind end, char closer, out bool stripNext)
    {
        Add(begin, begin == TokenKind.BlockBegin ? "{%" : "{{", tagAt);
        var firstToken = _tokens.Count;
        var depth = 0;
        while (true)
        {
            while (pos < _src.Length && char.IsWhiteSpace(_src[pos]))
            {
                pos++;
            }

            if (pos >= _src.Length)
            {
                throw Error(begin == TokenKind.BlockBegin ? "unterminated '{%' tag" : "unterminated '{{' expression", tagAt);
            }

            if (depth == 0 && TryTagEnd(pos, closer, out var afterEnd, out stripNext, out var keep))
            {
                Add(end, closer == '%' ? "%}" : "}}", pos);
                var next = begin == TokenKind.BlockBegin ? AfterTagEnd(afterEnd, stripNext, keep) : afterEnd;
                return IsRawTag(firstToken) ? LexRaw(next, out stripNext) : next;
            }

            pos = LexExpressionToken(pos, ref depth);
        }
    }

    private bool TryTagEnd(int pos, char closer, out int after, out bool strip, out bool keep)
    {
        strip = false;
        keep = false;
        after = pos;
        var c = _src[pos];
        if ((c == '-' || c == '+') && Matches(pos + 1, closer))
        {
            strip = c == '-';
            keep = c == '+';
            after = pos + 3;
            return true;
        }

        if (Matches(pos, closer))
        {
            after = pos + 2;
            return true;
        }

        return false;
    }

    private bool Matches(int pos, char closer) =>
        pos + 1 < _src.Length && _src[pos] == closer && _src[pos + 1] == '}';

    private bool IsRawTag(int firstToken) =>
        _tokens.Count == firstToken + 2 && _tokens[firstToken].IsName("raw");

    // {% raw %} ... {% endraw %}: everything in between is literal text.
    private int LexRaw(int pos, out bool stripNext)
    {
        _tokens.RemoveRange(_tokens.Count - 3, 3);
        var search = pos;
        while (true)
        {
            var at = _src.IndexOf("{%", search, StringComparison.Ordinal);
            if (at < 0)
            {
                throw Error("missing '{% endraw %}'", pos);
            }

            var p = at + 2;
            var strip = p < _src.Length && _src[p] == '-';
            if (p < _src.Length && _src[p] is '-' or '+')
            {
                p++;
            }

            while (p < _src.Length && char.IsWhiteSpace(_src[p]))
            {
                p++;
            }

            if (string.CompareOrdinal(_src, p, "endraw", 0, 6) == 0)
            {
                p += 6;
                while (p < _src.Length && char.IsWhiteSpace(_src[p]))
                {
                    p++;
                }

                if (TryTagEnd(p, '%', out var after, out stripNext, out var keep))
                {
                    var raw = _src[pos..at];
                    EmitText(strip ? raw.TrimEnd() : raw, pos);
                    return AfterTagEnd(after, stripNext, keep);
                }
            }

            search = at + 2;
        }
    }

    private int LexExpressionToken(int pos, ref int depth)
    {
        var c = _src[pos];
        if (char.IsLetter(c) || c == '_')
        {
            var start = pos;
            while (pos < _src.Length && (char.IsLetterOrDigit(_src[pos]) || _src[pos] == '_'))
            {
                pos++;
            }

            Add(TokenKind.Name, _src[start..pos], start);
            return pos;
        }

        if (char.IsAsciiDigit(c))
        {
            return LexNumber(pos);
        }

        if (c is '\'' or '"')
        {
            return LexString(pos);
        }

        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_src, pos, op, 0, op.Length) == 0)
            {
                if (op is "(" or "[" or "{")
                {
                    depth++;
                }
                else if (op is ")" or "]" or "}")
                {
                    depth--;
                }

                Add(TokenKind.Operator, op, pos);
                return pos + op.Length;
            }
        }

        throw Error($"unexpected character '{c}'", pos);
    }

    private int LexNumber(int pos)
    {
        var start = pos;
        var isFloat = false;
        while (pos < _src.Length && (char.IsAsciiDigit(_src[pos]) || _src[pos] == '_'))
        {
            pos++;
        }

        if (pos + 1 < _src.Length && _src[pos] == '.' && char.IsAsciiDigit(_src[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < _src.Length && char.IsAsciiDigit(_src[pos]))
            {
                pos++;
            }
        }

        if (pos < _src.Length && _src[pos] is 'e' or 'E')
        {
            var p = pos + 1;
            if (p < _src.Length && _src[p] is '+' or '-')
            {
                p++;
            }

            if (p < _src.Length && char.IsAsciiDigit(_src[p]))
            {
                isFloat = true;
                pos = p;
                while (pos < _src.Length && char.IsAsciiDigit(_src[pos]))
                {
                    pos++;
                }
            }
        }

        var text = _src[start..pos].Replace("_", string.Empty, StringComparison.Ordinal);
        if (!isFloat && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw Error($"integer literal '{text}' is too large", start);
        }

        Add(isFloat ? TokenKind.Float : TokenKind.Integer, text, start);
        return pos;
    }

    private int LexString(int pos)
    {
        var quote = _src[pos];
        var start = pos;
        var sb = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= _src.Length)
            {
                throw Error("unterminated string literal", start);
            }

            var c = _src[pos];
            if (c == quote)
            {
                Add(TokenKind.String, sb.ToString(), start);
                return pos + 1;
            }

            if (c != '\\' || pos + 1 >= _src.Length)
            {
                sb.Append(c);
                pos++;
                continue;
            }

            pos = AppendEscape(sb, pos);
        }
    }

    // Jinja decodes string literals with Python's unicode-escape: unknown escapes stay verbatim.
    private int AppendEscape(StringBuilder sb, int pos)
    {
        var e = _src[pos + 1];
        switch (e)
        {
            case 'n': sb.Append('\n'); return pos + 2;
            case 't': sb.Append('\t'); return pos + 2;
            case 'r': sb.Append('\r'); return pos + 2;
            case 'b': sb.Append('\b'); return pos + 2;
            case 'f': sb.Append('\f'); return pos + 2;
            case 'v': sb.Append('\v'); return pos + 2;
            case 'a': sb.Append('\a'); return pos + 2;
            case '0': sb.Append('\0'); return pos + 2;
            case '\\': sb.Append('\\'); return pos + 2;
            case '\'': sb.Append('\''); return pos + 2;
            case '"': sb.Append('"'); return pos + 2;
            case '\n': return pos + 2;
            case 'x': return AppendHex(sb, pos, 2);
            case 'u': return AppendHex(sb, pos, 4);
            case 'U': return AppendHex(sb, pos, 8);
            default:
                sb.Append('\\').Append(e);
                return pos + 2;
        }
    }

    private int AppendHex(StringBuilder sb, int pos, int digits)
    {
        var start = pos + 2;
        if (start + digits > _src.Length
            || !int.TryParse(_src.AsSpan(start, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
        {
            throw Error("malformed escape sequence in string literal", pos);
        }

        sb.Append(char.ConvertFromUtf32(code));
        return start + digits;
    }
}
