using System.Buffers;
using System.Text;

namespace Elastic.Inference.Tokenization;

/// <summary>A checkpoint's tokenizer (tokenizer.json BPE or SentencePiece tokenizer.model) with its special tokens.</summary>
public sealed class ModelTokenizer
{
    private readonly ISegmentEncoder _encoder;
    private readonly AddedTokenSplitter _splitter;
    private readonly string?[] _tokenText;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly IReadOnlyDictionary<string, int> _modelVocab;

    private ModelTokenizer(LoadedTokenizer loaded, TokenizerConfig config, string configFile)
    {
        _encoder = loaded.Encoder;
        _modelVocab = loaded.ModelVocab;

        var added = new List<AddedToken>(loaded.AddedTokens);
        foreach (var extra in config.AddedTokensDecoder)
        {
            if (added.TrueForAll(t => t.Id != extra.Id))
            {
                added.Add(extra);
            }
        }

        _addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in added)
        {
            _addedByContent.TryAdd(token.Content, token.Id);
        }

        _splitter = new AddedTokenSplitter(added);

        var size = 0;
        foreach (var id in _modelVocab.Values)
        {
            size = Math.Max(size, id + 1);
        }

        foreach (var token in added)
        {
            size = Math.Max(size, token.Id + 1);
        }

        _tokenText = new string?[size];
        foreach (var (text, id) in _modelVocab)
        {
            _tokenText[id] ??= text;
        }

        var special = new bool[size];
        foreach (var token in added)
        {
            _tokenText[token.Id] = token.Content;
            special[token.Id] |= token.Special;
        }

        Decoder = TokenDecoder.Build(_tokenText, special, loaded.Decoder);

        BosTokenId = config.BosToken is { } bos
            ? Resolve(bos, configFile, "bos_token")
            : loaded.DefaultBosId ?? (loaded.TemplatePrefixToken is { } templateBos ? TokenToId(templateBos) : null);
        EosTokenId = config.EosToken is { } eos ? Resolve(eos, configFile, "eos_token") : config.GenerationEosId ?? loaded.DefaultEosId;
        AddBosToken = BosTokenId is not null && (config.AddBosToken
            ?? (loaded.TemplatePrefixToken is { } prefix ? TokenToId(prefix) == BosTokenId : loaded.DefaultAddBos));
        AddEosToken = EosTokenId is not null && (config.AddEosToken
            ?? (loaded.TemplateSuffixToken is { } suffix && TokenToId(suffix) == EosTokenId));
    }

    /// <summary>Beginning-of-sequence id, or null when the checkpoint has none (Qwen).</summary>
    public int? BosTokenId { get; }

    /// <summary>End-of-sequence id from tokenizer_config.json, else generation_config.json, else the model file.</summary>
    public int? EosTokenId { get; }

    /// <summary>Whether <see cref="Encode"/> with addSpecialTokens puts BOS first.</summary>
    public bool AddBosToken { get; }

    /// <summary>Whether <see cref="Encode"/> with addSpecialTokens puts EOS last (rare; Llama sets it false).</summary>
    public bool AddEosToken { get; }

    /// <summary>Highest token id (model vocabulary or added token) plus one.</summary>
    public int VocabSize => _tokenText.Length;

    internal TokenDecoder Decoder { get; }

    /// <summary>Loads the tokenizer of a Hugging Face checkpoint folder.</summary>
    /// <exception cref="Configuration.CheckpointException">A file is missing, malformed, or of an unsupported kind.</exception>
    public static ModelTokenizer Load(string checkpointDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDir);
        if (!Directory.Exists(checkpointDir))
        {
            throw new Configuration.CheckpointException(checkpointDir, null, "checkpoint directory not found");
        }

        var json = Path.Combine(checkpointDir, "tokenizer.json");
        var model = Path.Combine(checkpointDir, "tokenizer.model");
        LoadedTokenizer loaded;
        if (File.Exists(json))
        {
            loaded = TokenizerJsonReader.Read(json);
        }
        else if (File.Exists(model))
        {
            loaded = SentencePieceModelReader.Read(model);
        }
        else
        {
            throw new Configuration.CheckpointException(json, null, $"no tokenizer in '{checkpointDir}': neither tokenizer.json nor tokenizer.model exists");
        }

        return new ModelTokenizer(loaded, TokenizerConfig.Read(checkpointDir), Path.Combine(checkpointDir, "tokenizer_config.json"));
    }

    /// <summary>Token ids for <paramref name="text"/>; added tokens written in the text become their single ids.</summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens && AddBosToken)
        {
            ids.Add(BosTokenId!.Value);
        }

        _splitter.Split(text, (segment, start) => _encoder.Encode(segment, start == 0, ids), ids.Add);
        if (addSpecialTokens && AddEosToken)
        {
            ids.Add(EosTokenId!.Value);
        }

        return ids;
    }

    /// <summary>Text for <paramref name="ids"/>; unknown ids are skipped and invalid UTF-8 becomes U+FFFD. Never throws for any id.</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new ArrayBufferWriter<byte>(ids.Count * 4 + 16);
        var state = Decoder.Start();
        for (var i = 0; i < ids.Count; i++)
        {
            Decoder.Write(ids[i], skipSpecialTokens, ref state, buffer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A streaming decoder over this tokenizer.</summary>
    public IncrementalDetokenizer CreateDetokenizer(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>The UTF-8 bytes token <paramref name="id"/> stands for (one byte for byte tokens); empty for unknown ids.</summary>
    public byte[] TokenBytes(int id) => (byte[])Decoder.TokenBytes(id).Clone();

    /// <summary>The raw vocabulary string (e.g. "Ġthe", "▁the", "&lt;0x0A&gt;"), or null for unknown ids.</summary>
    public string? TokenText(int id) => (uint)id < (uint)_tokenText.Length ? _tokenText[id] : null;

    /// <summary>Whether <paramref name="id"/> is a special added token (skipped by skipSpecialTokens).</summary>
    public bool IsSpecialToken(int id) => Decoder.IsSpecial(id);

    /// <summary>The id of an exact token string (added tokens first, then the model vocabulary), or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedByContent.TryGetValue(token, out var id) ? id : _modelVocab.TryGetValue(token, out id) ? id : null;
    }

    private int Resolve(string token, string configFile, string field) =>
        TokenToId(token) ?? throw new Configuration.CheckpointException(configFile, null, $"{field} '{token}' is not in the tokenizer's vocabulary");
}
