using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Elastic.Inference.Tokenization;

/// <summary>One word handed to the BPE model; AtStart marks text that begins the whole input (Metaspace "first").</summary>
internal readonly record struct PreToken(string Text, bool AtStart);

/// <summary>The tokenizer.json "pre_tokenizer": splits a normalized segment into words for the BPE model.</summary>
internal abstract class PreTokenizer
{
    public abstract void Apply(List<PreToken> input, List<PreToken> output);

    public List<PreToken> Run(string text, bool atStart)
    {
        var output = new List<PreToken>();
        Apply([new PreToken(text, atStart)], output);
        return output;
    }

    public static PreTokenizer? Parse(JsonElement element, string file)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = CheckpointJson.RequiredString(element, "type", file, "pre_tokenizer");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(
                [.. CheckpointJson.RequiredArray(element, "pretokenizers", file, "pre_tokenizer Sequence").EnumerateArray()
                    .Select(e => Parse(e, file) ?? throw new Configuration.CheckpointException(file, null, "pre_tokenizer Sequence holds a null entry"))]),
            "ByteLevel" => new ByteLevelPreTokenizer(CheckpointJson.Bool(element, "add_prefix_space", true), CheckpointJson.Bool(element, "use_regex", true)),
            "Split" => ParseSplit(element, file),
            "Metaspace" => ParseMetaspace(element, file),
            "Digits" => CheckpointJson.Bool(element, "individual_digits", false) ? IndividualDigits() : new RegexPreTokenizer(new Regex(@"\p{N}", RegexOptions.CultureInvariant), SplitBehavior.Contiguous, false),
            "WhitespaceSplit" => new RegexPreTokenizer(new Regex(@"\s+", RegexOptions.CultureInvariant), SplitBehavior.Removed, false),
            "Whitespace" => new RegexPreTokenizer(new Regex(@"\w+|[^\w\s]+", RegexOptions.CultureInvariant), SplitBehavior.Removed, true),
            "Punctuation" => new RegexPreTokenizer(new Regex(@"[\p{P}!-/:-@\[-`{-~]", RegexOptions.CultureInvariant),
                RegexSplitter.ParseBehavior(CheckpointJson.OptionalString(element, "behavior") ?? "Isolated", file), false),
            _ => throw new Configuration.CheckpointException(file, null, $"pre_tokenizer type '{type}' is not supported"),
        };
    }

    /// <summary>Hugging Face's Digits pre-tokenizer with individual_digits: every digit becomes its own piece.</summary>
    public static PreTokenizer IndividualDigits() => new RegexPreTokenizer(new Regex(@"\p{N}", RegexOptions.CultureInvariant), SplitBehavior.Isolated, false);

    /// <summary>True when this pre-tokenizer (or one in its sequence) maps text to the byte-level alphabet.</summary>
    public virtual bool IsByteLevel => false;

    private static RegexPreTokenizer ParseSplit(JsonElement element, string file)
    {
        var pattern = CheckpointJson.RequiredObject(element, "pattern", file, "pre_tokenizer Split");
        Regex regex;
        if (pattern.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String)
        {
            regex = CheckpointJson.CompileRegex(r.GetString()!, file, "pre_tokenizer Split");
        }
        else if (pattern.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String)
        {
            regex = new Regex(Regex.Escape(s.GetString()!), RegexOptions.CultureInvariant);
        }
        else
        {
            throw new Configuration.CheckpointException(file, null, "pre_tokenizer Split: pattern must be {\"String\": ...} or {\"Regex\": ...}");
        }

        var behavior = RegexSplitter.ParseBehavior(CheckpointJson.RequiredString(element, "behavior", file, "pre_tokenizer Split"), file);
        return new RegexPreTokenizer(regex, behavior, CheckpointJson.Bool(element, "invert", false));
    }

    private static MetaspacePreTokenizer ParseMetaspace(JsonElement element, string file)
    {
        var replacement = CheckpointJson.OptionalString(element, "replacement") ?? "\u2581";
        if (replacement.Length != 1)
        {
            throw new Configuration.CheckpointException(file, null, "pre_tokenizer Metaspace: replacement must be one character");
        }

        var scheme = CheckpointJson.OptionalString(element, "prepend_scheme")
            ?? (CheckpointJson.Bool(element, "add_prefix_space", true) ? "always" : "never");
        if (scheme is not ("always" or "first" or "never"))
        {
            throw new Configuration.CheckpointException(file, null, $"pre_tokenizer Metaspace: prepend_scheme '{scheme}' is not supported");
        }

        // Files written before the "split" option always split on the replacement character.
        return new MetaspacePreTokenizer(replacement[0], scheme, CheckpointJson.Bool(element, "split", true));
    }

    protected static void AddPieces(PreToken source, List<(int Start, int Length)> pieces, List<PreToken> output)
    {
        foreach (var (start, length) in pieces)
        {
            output.Add(new PreToken(source.Text.Substring(start, length), source.AtStart && start == 0));
        }
    }
}

internal sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> steps) : PreTokenizer
{
    public override bool IsByteLevel => steps.Any(s => s.IsByteLevel);

    public override void Apply(List<PreToken> input, List<PreToken> output)
    {
        var current = input;
        foreach (var step in steps)
        {
            var next = new List<PreToken>(current.Count);
            step.Apply(current, next);
            current = next;
        }

        output.AddRange(current);
    }
}

internal sealed class RegexPreTokenizer(Regex regex, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void Apply(List<PreToken> input, List<PreToken> output)
    {
        foreach (var token in input)
        {
            AddPieces(token, RegexSplitter.Split(regex, token.Text, behavior, invert), output);
        }
    }
}

internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    private static readonly Regex Gpt2 = new(ByteLevelAlphabet.Gpt2Pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public override bool IsByteLevel => true;

    public override void Apply(List<PreToken> input, List<PreToken> output)
    {
        foreach (var token in input)
        {
            var text = addPrefixSpace && !token.Text.StartsWith(' ') ? " " + token.Text : token.Text;
            var source = token with { Text = text };
            var pieces = useRegex ? RegexSplitter.Split(Gpt2, text, SplitBehavior.Isolated, false) : [(0, text.Length)];
            foreach (var (start, length) in pieces)
            {
                var bytes = Encoding.UTF8.GetBytes(text, start, length);
                output.Add(new PreToken(ByteLevelAlphabet.Encode(bytes), source.AtStart && start == 0));
            }
        }
    }
}

internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : PreTokenizer
{
    public override void Apply(List<PreToken> input, List<PreToken> output)
    {
        foreach (var token in input)
        {
            var text = token.Text.Replace(' ', replacement);
            var prepend = prependScheme == "always" || (prependScheme == "first" && token.AtStart);
            if (prepend && (text.Length == 0 || text[0] != replacement))
            {
                text = replacement + text;
            }

            if (!split)
            {
                output.Add(token with { Text = text });
                continue;
            }

            // MergedWithNext on the replacement: each word keeps its leading "▁".
            var start = 0;
            for (var i = 1; i <= text.Length; i++)
            {
                if (i == text.Length || text[i] == replacement)
                {
                    output.Add(new PreToken(text[start..i], token.AtStart && start == 0));
                    start = i;
                }
            }
        }
    }
}
