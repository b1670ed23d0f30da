using System.Globalization;
using System.Text;

namespace Elastic.Training.Corpus;

/// <summary>Single-line statements in a small C-like language; brackets are balanced by construction.</summary>
internal sealed class CodeDomain(CorpusRandom rng)
{
    public const int MaxLength = CorpusGenerator.MaxSampleLength;

    private static readonly string[] Variables =
    [
        "x", "y", "z", "i", "j", "n", "total", "count", "offset", "idx", "len", "acc", "buf", "node", "key", "val",
        "lo", "hi", "mid", "step", "sum", "res", "tmp", "prev", "next",
    ];

    private static readonly string[] Arrays = ["arr", "xs", "ys", "data", "items", "grid", "table"];
    private static readonly string[] Functions = ["add", "max", "min", "abs", "clamp", "push", "get", "swap", "hash", "scale", "fold"];
    private static readonly string[] ArithmeticOps = ["+", "-", "*", "/", "%"];
    private static readonly string[] CompareOps = ["<", ">", "<=", ">=", "==", "!="];
    private static readonly string[] AssignOps = ["=", "+=", "-=", "*="];

    public string Next()
    {
        // Statements are generated without a length budget and rerolled when too long; the fallback keeps
        // the draw count bounded so generation speed does not depend on luck.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var line = Statement();
            if (line.Length <= MaxLength)
            {
                return line;
            }
        }

        return "let " + rng.Pick(Variables) + " = " + Number() + ";";
    }

    private string Statement()
    {
        var sb = new StringBuilder(96);
        switch (rng.Next(10))
        {
            case 0:
            case 1:
                sb.Append("let ").Append(rng.Pick(Variables)).Append(" = ");
                Expression(sb, 2);
                sb.Append(';');
                break;
            case 2:
                Assignment(sb);
                break;
            case 3:
                sb.Append("if (");
                Condition(sb);
                sb.Append(") { return ");
                Expression(sb, 1);
                sb.Append("; }");
                break;
            case 4:
                sb.Append("if (");
                Condition(sb);
                sb.Append(") { ");
                Assignment(sb);
                sb.Append(" } else { ");
                Assignment(sb);
                sb.Append(" }");
                break;
            case 5:
                {
                    var v = rng.Pick(Variables);
                    sb.Append("while (").Append(v).Append(' ').Append(rng.Pick(CompareOps)).Append(' ');
                    Expression(sb, 1);
                    sb.Append(") { ").Append(v).Append(" = ").Append(v).Append(rng.Chance(50) ? " + " : " - ")
                        .Append(Number()).Append("; }");
                    break;
                }

            case 6:
                {
                    var index = rng.Chance(70) ? "i" : "j";
                    sb.Append("for (let ").Append(index).Append(" = 0; ").Append(index).Append(" < ")
                        .Append(rng.Chance(50) ? Number() : "len(" + rng.Pick(Arrays) + ")")
                        .Append("; ").Append(index).Append(" += 1) { ")
                        .Append(rng.Pick(Variables)).Append(' ').Append(rng.Pick(AssignOps)).Append(' ')
                        .Append(rng.Pick(Arrays)).Append('[').Append(index).Append("]; }");
                    break;
                }

            case 7:
                {
                    var name = rng.Pick(Functions);
                    var a = rng.Pick(Variables);
                    var b = rng.Pick(Variables);
                    if (a == b)
                    {
                        b = "k";
                    }

                    sb.Append("fn ").Append(name).Append('(').Append(a).Append(", ").Append(b).Append(") { return ")
                        .Append(a).Append(' ').Append(rng.Pick(ArithmeticOps)).Append(' ').Append(b).Append("; }");
                    break;
                }

            case 8:
                sb.Append("print(");
                Expression(sb, 2);
                sb.Append(");");
                break;
            default:
                {
                    sb.Append("let ").Append(rng.Pick(Arrays)).Append(" = [");
                    var count = rng.Next(1, 6);
                    for (var i = 0; i < count; i++)
                    {
                        sb.Append(i == 0 ? string.Empty : ", ").Append(Number());
                    }

                    sb.Append("];");
                    break;
                }
        }

        return sb.ToString();
    }

    private void Assignment(StringBuilder sb)
    {
        sb.Append(rng.Pick(Variables)).Append(' ').Append(rng.Pick(AssignOps)).Append(' ');
        Expression(sb, 1);
        sb.Append(';');
    }

    private void Condition(StringBuilder sb)
    {
        Comparison(sb);
        if (rng.Chance(20))
        {
            sb.Append(rng.Chance(50) ? " && " : " || ");
            Comparison(sb);
        }
    }

    private void Comparison(StringBuilder sb)
    {
        sb.Append(rng.Pick(Variables)).Append(' ').Append(rng.Pick(CompareOps)).Append(' ');
        Expression(sb, 0);
    }

    private void Expression(StringBuilder sb, int depth)
    {
        Term(sb, depth);
        var more = depth > 0 ? rng.Next(3) : 0;
        for (var i = 0; i < more; i++)
        {
            sb.Append(' ').Append(rng.Pick(ArithmeticOps)).Append(' ');
            Term(sb, depth);
        }
    }

    private void Term(StringBuilder sb, int depth)
    {
        var roll = depth > 0 ? rng.Next(10) : rng.Next(6);
        switch (roll)
        {
            case < 3:
                sb.Append(rng.Pick(Variables));
                break;
            case < 5:
                sb.Append(Number());
                break;
            case 5:
                sb.Append(rng.Pick(Arrays)).Append('[').Append(rng.Pick(Variables)).Append(']');
                break;
            case < 8:
                sb.Append(rng.Pick(Functions)).Append('(');
                Expression(sb, depth - 1);
                sb.Append(", ");
                Expression(sb, depth - 1);
                sb.Append(')');
                break;
            default:
                // Parentheses only around a real operation, as people write them.
                sb.Append('(');
                Term(sb, depth - 1);
                sb.Append(' ').Append(rng.Pick(ArithmeticOps)).Append(' ');
                Term(sb, depth - 1);
                sb.Append(')');
                break;
        }
    }

    private string Number() => rng.Next(0, 100).ToString(CultureInfo.InvariantCulture);
}
