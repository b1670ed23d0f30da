using Microsoft.ML.Tokenizers;

namespace Elastic.Inference.Tokenization;

/// <summary>Reads a bare SentencePiece tokenizer.model through Microsoft.ML.Tokenizers' LlamaTokenizer.</summary>
internal static class SentencePieceModelReader
{
    public static LoadedTokenizer Read(string path)
    {
        LlamaTokenizer tokenizer;
        try
        {
            using var stream = File.OpenRead(path);
            tokenizer = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new Configuration.CheckpointException(path, null, $"cannot be read as a SentencePiece model: {ex.Message}", ex);
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (piece, id) in tokenizer.Vocabulary)
        {
            vocab.TryAdd(piece, id);
        }

        // Control pieces (<s>, </s>) and <unk> behave like Hugging Face's special added tokens.
        var added = new List<AddedToken>();
        foreach (var (id, text) in new[]
        {
            (tokenizer.BeginningOfSentenceId, tokenizer.BeginningOfSentenceToken),
            (tokenizer.EndOfSentenceId, tokenizer.EndOfSentenceToken),
            (tokenizer.UnknownId, tokenizer.UnknownToken),
        })
        {
            if (id >= 0 && !string.IsNullOrEmpty(text) && added.TrueForAll(t => t.Id != id))
            {
                added.Add(new AddedToken(id, text, Special: true));
            }
        }

        return new LoadedTokenizer
        {
            Encoder = new SentencePieceEncoder(tokenizer),
            ModelVocab = vocab,
            AddedTokens = added,
            Decoder = DecoderSpec.SentencePiece(tokenizer.AddDummyPrefix),
            DefaultBosId = tokenizer.BeginningOfSentenceId >= 0 ? tokenizer.BeginningOfSentenceId : null,
            DefaultEosId = tokenizer.EndOfSentenceId >= 0 ? tokenizer.EndOfSentenceId : null,
            DefaultAddBos = tokenizer.BeginningOfSentenceId >= 0,
        };
    }

    private sealed class SentencePieceEncoder(LlamaTokenizer tokenizer) : ISegmentEncoder
    {
        public void Encode(string segment, bool atStart, List<int> output)
        {
            // Like the slow Hugging Face LlamaTokenizer (legacy), every segment between added tokens gets the dummy prefix.
            output.AddRange(tokenizer.EncodeToIds(segment, addBeginningOfSentence: false, addEndOfSentence: false));
        }
    }
}
