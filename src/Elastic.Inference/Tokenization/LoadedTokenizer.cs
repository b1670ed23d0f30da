namespace Elastic.Inference.Tokenization;

/// <summary>What a tokenizer file yields before tokenizer_config.json is applied.</summary>
internal sealed class LoadedTokenizer
{
    public required ISegmentEncoder Encoder { get; init; }

    public required IReadOnlyDictionary<string, int> ModelVocab { get; init; }

    public required List<AddedToken> AddedTokens { get; init; }

    public required DecoderSpec Decoder { get; init; }

    /// <summary>The special token a post-processor template puts first ("&lt;s&gt; $A"), if any.</summary>
    public string? TemplatePrefixToken { get; init; }

    /// <summary>The special token a post-processor template puts last ("$A &lt;/s&gt;"), if any.</summary>
    public string? TemplateSuffixToken { get; init; }

    /// <summary>Defaults a bare tokenizer.model carries (tokenizer_config.json overrides them).</summary>
    public int? DefaultBosId { get; init; }

    public int? DefaultEosId { get; init; }

    public bool DefaultAddBos { get; init; }
}
