using System.Globalization;

namespace Elastic.Inference.Chat.Jinja;

/// <summary>Recursive-descent parser following Jinja2's grammar and operator precedence.</summary>
internal sealed class Parser
{
    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", "<=", ">", ">="];

    private readonly List<Token> _tokens;
    private int _pos;

    private Parser(List<Token> tokens) => _tokens = tokens;

    private Token Current => _tokens[_pos];

    public static IReadOnlyList<Stmt> Parse(List<Token> tokens)
    {
        var parser = new Parser(tokens);
        var body = parser.ParseBody([], out _);
        return body;
    }

    private static ChatTemplateException Error(string message, Token at) =>
        new(ChatTemplateErrorKind.Syntax, message, at.Line, at.Column);

    private Token Next() => _tokens[_pos++];

    private Token Peek(int ahead = 1) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private bool SkipOperator(string op)
    {
        if (Current.IsOperator(op))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private bool SkipName(string name)
    {
        if (Current.IsName(name))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void ExpectOperator(string op)
    {
        if (!SkipOperator(op))
        {
            throw Error($"expected '{op}' but found {Current}", Current);
        }
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name)
        {
            throw Error($"expected a name but found {Current}", Current);
        }

        return Next().Value;
    }

    private void ExpectBlockEnd()
    {
        if (Current.Kind != TokenKind.BlockEnd)
        {
            throw Error($"expected end of statement '%}}' but found {Current}", Current);
        }

        _pos++;
    }

    // Parses statements until a block tag whose keyword is one of endTags; leaves the stream just after that keyword.
    private List<Stmt> ParseBody(IReadOnlyCollection<string> endTags, out string endTag)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var tok = Current;
            switch (tok.Kind)
            {
                case TokenKind.Eof:
                    if (endTags.Count > 0)
                    {
                        throw Error($"unexpected end of template; expected {string.Join(" or ", endTags.Select(t => $"'{t}'"))}", tok);
                    }

                    endTag = string.Empty;
                    return body;
                case TokenKind.Text:
                    _pos++;
                    body.Add(new TextStmt(tok.Value, tok.Line, tok.Column));
                    break;
                case TokenKind.VariableBegin:
                    _pos++;
                    var expr = ParseTuple(allowConditional: true);
                    if (Current.Kind != TokenKind.VariableEnd)
                    {
                        throw Error($"expected end of expression '}}}}' but found {Current}", Current);
                    }

                    _pos++;
                    body.Add(new OutputStmt(expr, tok.Line, tok.Column));
                    break;
                case TokenKind.BlockBegin:
                    _pos++;
                    var keyword = Current;
                    if (keyword.Kind != TokenKind.Name)
                    {
                        throw Error($"expected a statement keyword but found {keyword}", keyword);
                    }

                    if (endTags.Contains(keyword.Value))
                    {
                        _pos++;
                        endTag = keyword.Value;
                        return body;
                    }

                    body.Add(ParseStatement(tok));
                    break;
                default:
                    throw Error($"unexpected {tok}", tok);
            }
        }
    }

    private Stmt ParseStatement(Token start)
    {
        var keyword = Next();
        switch (keyword.Value)
        {
            case "if":
                return ParseIf(start);
            case "for":
                return ParseFor(start);
            case "set":
                return ParseSet(start);
            case "macro":
                return ParseMacro(start);
            case "filter":
                return ParseFilterBlock(start);
            case "generation":
                ExpectBlockEnd();
                var gen = ParseBody(["endgeneration"], out _);
                ExpectBlockEnd();
                return new BlockStmt(gen, start.Line, start.Column);
            case "break":
                ExpectBlockEnd();
                return new BreakStmt(start.Line, start.Column);
            case "continue":
                ExpectBlockEnd();
                return new ContinueStmt(start.Line, start.Column);
            default:
                throw Error($"unknown or unsupported statement '{keyword.Value}'", keyword);
        }
    }

    private IfStmt ParseIf(Token start)
    {
        var branches = new List<IfBranch>();
        List<Stmt>? elseBody = null;
        var condition = ParseTuple(allowConditional: true);
        while (true)
        {
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], out var tag);
            branches.Add(new IfBranch(condition, body));
            if (tag == "elif")
            {
                condition = ParseTuple(allowConditional: true);
                continue;
            }

            if (tag == "else")
            {
                ExpectBlockEnd();
                elseBody = ParseBody(["endif"], out _);
            }

            ExpectBlockEnd();
            return new IfStmt(branches, elseBody, start.Line, start.Column);
        }
    }

    private ForStmt ParseFor(Token start)
    {
        var targets = ParseTargetNames();
        if (!SkipName("in"))
        {
            throw Error($"expected 'in' but found {Current}", Current);
        }

        // The iterable cannot be a conditional expression: a trailing 'if' is the loop filter.
        var iterable = ParseTuple(allowConditional: false);
        Expr? filter = null;
        if (SkipName("if"))
        {
            filter = ParseTuple(allowConditional: true);
        }

        if (Current.IsName("recursive"))
        {
            throw Error("recursive loops are not supported", Current);
        }

        ExpectBlockEnd();
        var body = ParseBody(["else", "endfor"], out var tag);
        List<Stmt>? elseBody = null;
        if (tag == "else")
        {
            ExpectBlockEnd();
            elseBody = ParseBody(["endfor"], out _);
        }

        ExpectBlockEnd();
        return new ForStmt(targets, iterable, filter, body, elseBody, start.Line, start.Column);
    }

    private List<string> ParseTargetNames()
    {
        var parens = SkipOperator("(");
        var names = new List<string> { ExpectName() };
        while (SkipOperator(","))
        {
            if (Current.Kind != TokenKind.Name)
            {
                break;
            }

            names.Add(ExpectName());
        }

        if (parens)
        {
            ExpectOperator(")");
        }

        return names;
    }

    private Stmt ParseSet(Token start)
    {
        if (Current.Kind == TokenKind.Name && Peek().IsOperator("."))
        {
            var target = ExpectName();
            _pos++;
            var attribute = ExpectName();
            ExpectOperator("=");
            var value = ParseTuple(allowConditional: true);
            ExpectBlockEnd();
            return new SetStmt([target], attribute, value, start.Line, start.Column);
        }

        var targets = ParseTargetNames();
        if (SkipOperator("="))
        {
            var value = ParseTuple(allowConditional: true);
            ExpectBlockEnd();
            return new SetStmt(targets, null, value, start.Line, start.Column);
        }

        if (targets.Count != 1)
        {
            throw Error("a block 'set' takes exactly one target", start);
        }

        ExpectBlockEnd();
        var body = ParseBody(["endset"], out _);
        ExpectBlockEnd();
        return new SetBlockStmt(targets[0], body, start.Line, start.Column);
    }

    private MacroStmt ParseMacro(Token start)
    {
        var name = ExpectName();
        ExpectOperator("(");
        var parameters = new List<MacroParam>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            var param = ExpectName();
            Expr? defaultValue = SkipOperator("=") ? ParseExpression() : null;
            parameters.Add(new MacroParam(param, defaultValue));
        }

        ExpectOperator(")");
        ExpectBlockEnd();
        var body = ParseBody(["endmacro"], out _);
        ExpectBlockEnd();
        return new MacroStmt(name, parameters, body, start.Line, start.Column);
    }

    private FilterBlockStmt ParseFilterBlock(Token start)
    {
        var filter = ParseFilter(null);
        ExpectBlockEnd();
        var body = ParseBody(["endfilter"], out _);
        ExpectBlockEnd();
        return new FilterBlockStmt(filter, body, start.Line, start.Column);
    }

    // ---- expressions -------------------------------------------------------------------------

    private Expr ParseTuple(bool allowConditional)
    {
        var start = Current;
        var first = allowConditional ? ParseExpression() : ParseOr();
        if (!Current.IsOperator(","))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (SkipOperator(","))
        {
            if (IsTupleEnd())
            {
                break;
            }

            items.Add(allowConditional ? ParseExpression() : ParseOr());
        }

        return new ListExpr(items, start.Line, start.Column);
    }

    private bool IsTupleEnd() =>
        Current.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd or TokenKind.Eof
        || Current.IsOperator(")") || Current.IsOperator("=") || Current.IsName("if") || Current.IsName("in");

    private Expr ParseExpression()
    {
        var start = Current;
        var expr = ParseOr();
        while (SkipName("if"))
        {
            var condition = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression() : null;
            expr = new ConditionalExpr(condition, expr, otherwise, start.Line, start.Column);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var op = Next();
            left = new BinaryExpr("or", left, ParseAnd(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var op = Next();
            left = new BinaryExpr("and", left, ParseNot(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var op = Next();
            return new UnaryExpr("not", ParseNot(), op.Line, op.Column);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Value))
            {
                var op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (SkipName("in"))
            {
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek().IsName("in"))
            {
                _pos += 2;
                rest.Add(("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first, rest, start.Line, start.Column);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Next();
            left = new BinaryExpr(op.Value, left, ParseConcat(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            var op = Next();
            left = new BinaryExpr("~", left, ParseMath2(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Next();
            left = new BinaryExpr(op.Value, left, ParsePow(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            var op = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var op = Next();
            node = new UnaryExpr(op.Value, ParseUnary(withFilter: false), op.Line, op.Column);
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilterAndTests(node) : node;
    }

    private Expr ParsePrimary()
    {
        var tok = Next();
        switch (tok.Kind)
        {
            case TokenKind.Name:
                return tok.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, tok.Line, tok.Column),
                    "false" or "False" => new LiteralExpr(false, tok.Line, tok.Column),
                    "none" or "None" => new LiteralExpr(null, tok.Line, tok.Column),
                    _ => new NameExpr(tok.Value, tok.Line, tok.Column),
                };
            case TokenKind.String:
                var text = tok.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Next().Value;
                }

                return new LiteralExpr(text, tok.Line, tok.Column);
            case TokenKind.Integer:
                return new LiteralExpr(long.Parse(tok.Value, CultureInfo.InvariantCulture), tok.Line, tok.Column);
            case TokenKind.Float:
                return new LiteralExpr(double.Parse(tok.Value, CultureInfo.InvariantCulture), tok.Line, tok.Column);
            case TokenKind.Operator when tok.Value == "(":
                if (SkipOperator(")"))
                {
                    return new ListExpr([], tok.Line, tok.Column);
                }

                var inner = ParseTuple(allowConditional: true);
                ExpectOperator(")");
                return inner;
            case TokenKind.Operator when tok.Value == "[":
                return ParseList(tok);
            case TokenKind.Operator when tok.Value == "{":
                return ParseDict(tok);
            default:
                throw Error($"unexpected {tok}", tok);
        }
    }

    private ListExpr ParseList(Token start)
    {
        var items = new List<Expr>();
        while (!Current.IsOperator("]"))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator("]"))
                {
                    break;
                }
            }

            items.Add(ParseExpression());
        }

        ExpectOperator("]");
        return new ListExpr(items, start.Line, start.Column);
    }

    private DictExpr ParseDict(Token start)
    {
        var pairs = new List<(Expr, Expr)>();
        while (!Current.IsOperator("}"))
        {
            if (pairs.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator("}"))
                {
                    break;
                }
            }

            var key = ParseExpression();
            ExpectOperator(":");
            pairs.Add((key, ParseExpression()));
        }

        ExpectOperator("}");
        return new DictExpr(pairs, start.Line, start.Column);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var tok = Current;
            if (tok.IsOperator("."))
            {
                _pos++;
                var attr = Next();
                if (attr.Kind == TokenKind.Integer)
                {
                    node = new IndexExpr(node, new LiteralExpr(long.Parse(attr.Value, CultureInfo.InvariantCulture), attr.Line, attr.Column), tok.Line, tok.Column);
                    continue;
                }

                if (attr.Kind != TokenKind.Name)
                {
                    throw Error($"expected an attribute name after '.' but found {attr}", attr);
                }

                node = new AttrExpr(node, attr.Value, tok.Line, tok.Column);
            }
            else if (tok.IsOperator("["))
            {
                _pos++;
                node = ParseSubscript(node, tok);
            }
            else if (tok.IsOperator("("))
            {
                _pos++;
                node = new CallExpr(node, ParseCallArgs(), tok.Line, tok.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr target, Token open)
    {
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (SkipOperator("]"))
            {
                return new IndexExpr(target, start, open.Line, open.Column);
            }
        }

        ExpectOperator(":");
        Expr? stop = Current.IsOperator("]") || Current.IsOperator(":") ? null : ParseExpression();
        Expr? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]"))
        {
            step = ParseExpression();
        }

        ExpectOperator("]");
        return new SliceExpr(target, start, stop, step, open.Line, open.Column);
    }

    // Called after '('; consumes through ')'.
    private Arguments ParseCallArgs()
    {
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Next().Value;
                _pos++;
                named.Add((name, ParseExpression()));
            }
            else
            {
                if (named.Count > 0)
                {
                    throw Error("positional argument follows keyword argument", Current);
                }

                positional.Add(ParseExpression());
            }
        }

        ExpectOperator(")");
        return new Arguments(positional, named);
    }

    private Expr ParseFilterAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                _pos++;
                node = ParseFilter(node);
            }
            else if (Current.IsName("is"))
            {
                _pos++;
                node = ParseTest(node);
            }
            else if (Current.IsOperator("("))
            {
                var open = Next();
                node = new CallExpr(node, ParseCallArgs(), open.Line, open.Column);
            }
            else
            {
                return node;
            }

            node = ParsePostfix(node);
        }
    }

    private FilterExpr ParseFilter(Expr? target)
    {
        var nameTok = Current;
        var name = ExpectName();
        while (SkipOperator("."))
        {
            name += "." + ExpectName();
        }

        if (!Filters.IsKnown(name))
        {
            throw Error($"no filter named '{name}'", nameTok);
        }

        var args = SkipOperator("(") ? ParseCallArgs() : Arguments.None;
        return new FilterExpr(target, name, args, nameTok.Line, nameTok.Column);
    }

    private TestExpr ParseTest(Expr target)
    {
        var negated = SkipName("not");
        var nameTok = Current;
        var name = nameTok.Kind == TokenKind.Operator && nameTok.Value is "==" or "!=" or "<" or "<=" or ">" or ">="
            ? Next().Value
            : ExpectName();
        if (!TestFunctions.IsKnown(name))
        {
            throw Error($"no test named '{name}'", nameTok);
        }

        var args = Arguments.None;
        if (SkipOperator("("))
        {
            args = ParseCallArgs();
        }
        else if (StartsTestArgument())
        {
            var arg = ParsePostfix(ParsePrimary());
            args = new Arguments([arg], []);
        }

        return new TestExpr(target, name, args, negated, nameTok.Line, nameTok.Column);
    }

    // Jinja lets a test take one bare argument: `x is divisibleby 3`, `x is sameas none`.
    private bool StartsTestArgument()
    {
        var tok = Current;
        if (tok.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float)
        {
            return true;
        }

        if (tok.IsOperator("[") || tok.IsOperator("{"))
        {
            return true;
        }

        return tok.Kind == TokenKind.Name && tok.Value is not ("else" or "or" or "and" or "if" or "in" or "not" or "is");
    }
}
