using System.Buffers;
using System.Text;

namespace Elastic.Inference.Tokenization;

/// <summary>Turns a stream of generated token ids into text deltas that never split a UTF-8 character.</summary>
/// <remarks>The concatenation of every <see cref="Append"/> result and <see cref="Flush"/> equals <see cref="ModelTokenizer.Decode"/> of all ids.</remarks>
public sealed class IncrementalDetokenizer
{
    private readonly TokenDecoder _decoder;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly ArrayBufferWriter<byte> _bytes = new(16);
    private char[] _chars = new char[32];
    private DecodeState _state;

    public IncrementalDetokenizer(ModelTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _decoder = tokenizer.Decoder;
        _skipSpecialTokens = skipSpecialTokens;
        _state = _decoder.Start();
    }

    /// <summary>Adds one token and returns the text it completes (possibly empty while a character is partial).</summary>
    public string Append(int tokenId)
    {
        _bytes.ResetWrittenCount();
        _decoder.Write(tokenId, _skipSpecialTokens, ref _state, _bytes);
        return Convert(_bytes.WrittenSpan, flush: false);
    }

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD. The detokenizer can then start over.</summary>
    public string Flush()
    {
        var text = Convert([], flush: true);
        _state = _decoder.Start();
        return text;
    }

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        // The decoder keeps an unfinished sequence's bytes itself and resolves them with the next call.
        var needed = _utf8.GetCharCount(bytes, flush);
        if (needed == 0)
        {
            if (!bytes.IsEmpty || flush)
            {
                _utf8.GetChars(bytes, [], flush);
            }

            return string.Empty;
        }

        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var written = _utf8.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, written);
    }
}
