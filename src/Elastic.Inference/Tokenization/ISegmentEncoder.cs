namespace Elastic.Inference.Tokenization;

/// <summary>Encodes text that holds no added tokens; atStart is true when the segment begins the whole input.</summary>
internal interface ISegmentEncoder
{
    void Encode(string segment, bool atStart, List<int> output);
}

/// <summary>normalizer → pre_tokenizer → BPE, the tokenizer.json pipeline for one segment.</summary>
internal sealed class JsonBpeEncoder(TextNormalizer normalizer, PreTokenizer? preTokenizer, BpeModel model) : ISegmentEncoder
{
    public void Encode(string segment, bool atStart, List<int> output)
    {
        var normalized = normalizer.Apply(segment);
        if (normalized.Length == 0)
        {
            return;
        }

        if (preTokenizer is null)
        {
            model.EncodeWord(normalized, output);
            return;
        }

        foreach (var word in preTokenizer.Run(normalized, atStart))
        {
            model.EncodeWord(word.Text, output);
        }
    }
}
