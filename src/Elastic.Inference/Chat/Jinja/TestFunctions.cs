namespace Elastic.Inference.Chat.Jinja;

/// <summary>Jinja's <c>is</c> tests.</summary>
internal static class TestFunctions
{
    private static readonly HashSet<string> Known =
    [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string",
        "mapping", "iterable", "sequence", "callable", "sameas", "eq", "equalto", "==", "ne", "!=", "lt", "<",
        "le", "<=", "gt", ">", "ge", ">=", "lessthan", "greaterthan", "in", "odd", "even", "divisibleby",
        "lower", "upper",
    ];

    public static bool IsKnown(string name) => Known.Contains(name);

    public static bool Apply(string name, object? value, IReadOnlyList<object?> args)
    {
        object? Arg0() => args.Count > 0 ? args[0] : throw new InvalidOperationException($"test '{name}' needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is long or double or bool,
            "string" => value is string,
            "mapping" => value is JinjaDict or JinjaNamespace,
            "iterable" => value is string or List<object?> or JinjaDict or Undefined,
            "sequence" => value is string or List<object?> or JinjaDict,
            "callable" => value is JinjaFunction,
            "sameas" => ReferenceEquals(value, Arg0()) || (value is null && Arg0() is null) || (value is bool b && Arg0() is bool c && b == c),
            "eq" or "equalto" or "==" => Values.Equal(value, Arg0()),
            "ne" or "!=" => !Values.Equal(value, Arg0()),
            "lt" or "<" or "lessthan" => Ops.Compare("<", value, Arg0()),
            "le" or "<=" => Ops.Compare("<=", value, Arg0()),
            "gt" or ">" or "greaterthan" => Ops.Compare(">", value, Arg0()),
            "ge" or ">=" => Ops.Compare(">=", value, Arg0()),
            "in" => Ops.Contains(Arg0(), value),
            "odd" => Values.ToLong(value) % 2 != 0,
            "even" => Values.ToLong(value) % 2 == 0,
            "divisibleby" => Values.ToLong(value) % Values.ToLong(Arg0()) == 0,
            "lower" => value is string s && !s.Any(char.IsUpper),
            "upper" => value is string u && !u.Any(char.IsLower),
            _ => throw new InvalidOperationException($"no test named '{name}'"),
        };
    }
}
