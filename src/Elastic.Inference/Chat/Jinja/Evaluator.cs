using System.Globalization;
using System.Text;

namespace Elastic.Inference.Chat.Jinja;

/// <summary>A variable frame. Loop bodies and macros get their own, so their <c>set</c>s do not leak (Jinja scoping).</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    public Scope? Parent { get; } = parent;

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>Tree-walking interpreter for the parsed template.</summary>
internal sealed class Evaluator
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private readonly Dictionary<string, object?> _globals;

    private Evaluator(Func<DateTimeOffset> clock)
    {
        _globals = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["namespace"] = new JinjaFunction("namespace", (args, kwargs) => MakeNamespace(args, kwargs)),
            ["raise_exception"] = new JinjaFunction("raise_exception", (args, _) =>
                throw new RaisedByTemplateException(args.Count > 0 ? Values.ToStr(args[0]) : "raise_exception called")),
            ["range"] = new JinjaFunction("range", (args, _) => Range(args)),
            ["dict"] = new JinjaFunction("dict", (_, kwargs) => Values.FromClr(kwargs)),
            ["strftime_now"] = new JinjaFunction("strftime_now", (args, _) =>
                Strftime.Format(clock(), args.Count > 0 ? Values.ToStr(args[0]) : "%Y-%m-%d")),
        };
    }

    public static string Render(IReadOnlyList<Stmt> body, IReadOnlyDictionary<string, object?> variables, Func<DateTimeOffset> clock)
    {
        var evaluator = new Evaluator(clock);
        var root = new Scope(null);
        foreach (var (name, value) in variables)
        {
            root.Set(name, Values.FromClr(value));
        }

        var sb = new StringBuilder();
        evaluator.ExecBody(body, root, sb);
        return sb.ToString();
    }

    private Flow ExecBody(IReadOnlyList<Stmt> body, Scope scope, StringBuilder sb)
    {
        foreach (var stmt in body)
        {
            var flow = Exec(stmt, scope, sb);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow Exec(Stmt stmt, Scope scope, StringBuilder sb)
    {
        try
        {
            return ExecCore(stmt, scope, sb);
        }
        catch (RaisedByTemplateException ex)
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Raised, ex.Message, stmt.Line, stmt.Column);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Render, ex.Message, stmt.Line, stmt.Column);
        }
    }

    private Flow ExecCore(Stmt stmt, Scope scope, StringBuilder sb)
    {
        switch (stmt)
        {
            case TextStmt t:
                sb.Append(t.Text);
                return Flow.Normal;
            case OutputStmt o:
                sb.Append(Values.ToStr(Eval(o.Value, scope)));
                return Flow.Normal;
            case IfStmt i:
                foreach (var branch in i.Branches)
                {
                    if (Values.Truthy(Eval(branch.Condition, scope)))
                    {
                        return ExecBody(branch.Body, scope, sb);
                    }
                }

                return i.Else is null ? Flow.Normal : ExecBody(i.Else, scope, sb);
            case ForStmt f:
                ExecFor(f, scope, sb);
                return Flow.Normal;
            case SetStmt s:
                ExecSet(s, scope);
                return Flow.Normal;
            case SetBlockStmt sbs:
                var captured = new StringBuilder();
                ExecBody(sbs.Body, scope, captured);
                scope.Set(sbs.Target, captured.ToString());
                return Flow.Normal;
            case MacroStmt m:
                scope.Set(m.Name, MakeMacro(m, scope));
                return Flow.Normal;
            case FilterBlockStmt fb:
                var inner = new StringBuilder();
                ExecBody(fb.Body, scope, inner);
                var (args, kwargs) = EvalArgs(fb.Filter.Args, scope);
                sb.Append(Values.ToStr(Filters.Apply(fb.Filter.Name, inner.ToString(), args, kwargs)));
                return Flow.Normal;
            case BlockStmt b:
                return ExecBody(b.Body, scope, sb);
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unsupported statement {stmt.GetType().Name}");
        }
    }

    private void ExecFor(ForStmt f, Scope scope, StringBuilder sb)
    {
        var items = Values.Iterate(Eval(f.Iterable, scope));
        if (f.Filter is not null)
        {
            // The loop filter runs before loop.* is computed, so loop.index counts only kept items.
            items = items.Where(item =>
            {
                var probe = new Scope(scope);
                Bind(f.Targets, item, probe);
                return Values.Truthy(Eval(f.Filter, probe));
            }).ToList();
        }

        if (items.Count == 0)
        {
            if (f.Else is not null)
            {
                ExecBody(f.Else, new Scope(scope), sb);
            }

            return;
        }

        var loop = new LoopInfo(items);
        for (var i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var body = new Scope(scope);
            body.Set("loop", loop);
            Bind(f.Targets, items[i], body);
            if (ExecBody(f.Body, body, sb) == Flow.Break)
            {
                break;
            }
        }
    }

    private static void Bind(IReadOnlyList<string> targets, object? value, Scope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], value);
            return;
        }

        var parts = Values.Iterate(value);
        if (parts.Count != targets.Count)
        {
            throw new InvalidOperationException($"cannot unpack {parts.Count} values into {targets.Count} names");
        }

        for (var i = 0; i < targets.Count; i++)
        {
            scope.Set(targets[i], parts[i]);
        }
    }

    private void ExecSet(SetStmt s, Scope scope)
    {
        var value = Eval(s.Value, scope);
        if (s.Attribute is null)
        {
            Bind(s.Targets, value, scope);
            return;
        }

        if (!scope.TryGet(s.Targets[0], out var target) || target is not JinjaNamespace ns)
        {
            throw new InvalidOperationException($"cannot assign attribute on non-namespace object '{s.Targets[0]}'");
        }

        ns.Attributes[s.Attribute] = value;
    }

    private JinjaFunction MakeMacro(MacroStmt m, Scope definitionScope) =>
        new(m.Name, (args, kwargs) =>
        {
            var local = new Scope(definitionScope);
            for (var i = 0; i < m.Params.Count; i++)
            {
                var p = m.Params[i];
                var value = i < args.Count ? args[i]
                    : kwargs.TryGetValue(p.Name, out var kw) ? kw
                    : p.Default is not null ? Eval(p.Default, local)
                    : new Undefined(p.Name);
                local.Set(p.Name, value);
            }

            var sb = new StringBuilder();
            ExecBody(m.Body, local, sb);
            return sb.ToString();
        });

    private static JinjaNamespace MakeNamespace(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var ns = new JinjaNamespace();
        foreach (var arg in args)
        {
            if (arg is JinjaDict d)
            {
                foreach (var (k, v) in d.Items)
                {
                    ns.Attributes[k] = v;
                }
            }
        }

        foreach (var (k, v) in kwargs)
        {
            ns.Attributes[k] = v;
        }

        return ns;
    }

    private static List<object?> Range(IReadOnlyList<object?> args)
    {
        long start = 0, stop, step = 1;
        switch (args.Count)
        {
            case 1:
                stop = Values.ToLong(args[0]);
                break;
            case 2:
                (start, stop) = (Values.ToLong(args[0]), Values.ToLong(args[1]));
                break;
            case 3:
                (start, stop, step) = (Values.ToLong(args[0]), Values.ToLong(args[1]), Values.ToLong(args[2]));
                break;
            default:
                throw new InvalidOperationException("range expects 1 to 3 arguments");
        }

        if (step == 0)
        {
            throw new InvalidOperationException("range() arg 3 must not be zero");
        }

        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
        }

        return result;
    }

    // ---- expressions -------------------------------------------------------------------------

    private object? Eval(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var v) ? v : _globals.TryGetValue(n.Name, out var g) ? g : new Undefined(n.Name);
            case ListExpr list:
                return list.Items.Select(i => Eval(i, scope)).ToList();
            case DictExpr d:
                var dict = new JinjaDict();
                foreach (var (key, value) in d.Pairs)
                {
                    dict.Set(Values.ToStr(Eval(key, scope)), Eval(value, scope));
                }

                return dict;
            case AttrExpr a:
                return Ops.GetAttr(Eval(a.Target, scope), a.Name);
            case IndexExpr ix:
                return Ops.GetItem(Eval(ix.Target, scope), Eval(ix.Index, scope));
            case SliceExpr s:
                return Ops.Slice(
                    Eval(s.Target, scope),
                    s.Start is null ? null : Eval(s.Start, scope),
                    s.Stop is null ? null : Eval(s.Stop, scope),
                    s.Step is null ? null : Eval(s.Step, scope));
            case CallExpr c:
                return Call(c, scope);
            case FilterExpr f:
                var (fargs, fkwargs) = EvalArgs(f.Args, scope);
                return Filters.Apply(f.Name, f.Target is null ? null : Eval(f.Target, scope), fargs, fkwargs);
            case TestExpr t:
                var (targs, _) = EvalArgs(t.Args, scope);
                return TestFunctions.Apply(t.Name, Eval(t.Target, scope), targs) != t.Negated;
            case UnaryExpr u:
                var operand = Eval(u.Operand, scope);
                return u.Op switch
                {
                    "not" => !Values.Truthy(operand),
                    "-" => Ops.Negate(operand),
                    _ => operand,
                };
            case BinaryExpr b:
                return EvalBinary(b, scope);
            case CompareExpr cmp:
                var left = Eval(cmp.First, scope);
                foreach (var (op, operandExpr) in cmp.Rest)
                {
                    var right = Eval(operandExpr, scope);
                    if (!Ops.Compare(op, left, right))
                    {
                        return false;
                    }

                    left = right;
                }

                return true;
            case ConditionalExpr ce:
                return Values.Truthy(Eval(ce.Condition, scope))
                    ? Eval(ce.Then, scope)
                    : ce.Else is null ? new Undefined(string.Empty) : Eval(ce.Else, scope);
            default:
                throw new InvalidOperationException($"unsupported expression {expr.GetType().Name}");
        }
    }

    private object? EvalBinary(BinaryExpr b, Scope scope)
    {
        // 'and'/'or' short-circuit and return an operand, as in Python.
        var left = Eval(b.Left, scope);
        return b.Op switch
        {
            "and" => Values.Truthy(left) ? Eval(b.Right, scope) : left,
            "or" => Values.Truthy(left) ? left : Eval(b.Right, scope),
            _ => Ops.Binary(b.Op, left, Eval(b.Right, scope)),
        };
    }

    private object? Call(CallExpr c, Scope scope)
    {
        var callee = Eval(c.Callee, scope);
        var (args, kwargs) = EvalArgs(c.Args, scope);
        return callee switch
        {
            JinjaFunction f => f.Invoke(args, kwargs),
            Undefined u => throw new InvalidOperationException(u.Describe()),
            _ => throw new InvalidOperationException($"'{Values.TypeName(callee)}' object is not callable"),
        };
    }

    private (List<object?> Args, Dictionary<string, object?> Kwargs) EvalArgs(Arguments args, Scope scope)
    {
        var positional = args.Positional.Select(a => Eval(a, scope)).ToList();
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in args.Named)
        {
            named[name] = Eval(value, scope);
        }

        return (positional, named);
    }

    /// <summary>Carries a <c>raise_exception</c> message up to the statement that knows its position.</summary>
    private sealed class RaisedByTemplateException(string message) : Exception(message);
}

/// <summary>Minimal C strftime for HF's <c>strftime_now</c> global (used by some templates to stamp the date).</summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset t, string format)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            var c = format[++i];
            sb.Append(c switch
            {
                'Y' => t.Year.ToString("D4", CultureInfo.InvariantCulture),
                'm' => t.Month.ToString("D2", CultureInfo.InvariantCulture),
                'd' => t.Day.ToString("D2", CultureInfo.InvariantCulture),
                'H' => t.Hour.ToString("D2", CultureInfo.InvariantCulture),
                'M' => t.Minute.ToString("D2", CultureInfo.InvariantCulture),
                'S' => t.Second.ToString("D2", CultureInfo.InvariantCulture),
                'b' => t.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => t.ToString("MMMM", CultureInfo.InvariantCulture),
                'a' => t.ToString("ddd", CultureInfo.InvariantCulture),
                'A' => t.ToString("dddd", CultureInfo.InvariantCulture),
                'y' => (t.Year % 100).ToString("D2", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + c,
            });
        }

        return sb.ToString();
    }
}
