using System.Buffers;

namespace Elastic.Inference.Tokenization;

/// <summary>Per-id output bytes and the leading-space rules; the one decoding path shared by Decode and streaming.</summary>
internal sealed class TokenDecoder
{
    private readonly byte[]?[] _bytes;
    private readonly byte[]?[]? _firstBytes;
    private readonly bool[] _special;
    private readonly int _stripLeading;

    public TokenDecoder(byte[]?[] bytes, byte[]?[]? firstBytes, bool[] special, int stripLeading)
    {
        _bytes = bytes;
        _firstBytes = firstBytes;
        _special = special;
        _stripLeading = stripLeading;
    }

    public static TokenDecoder Build(string?[] tokenText, bool[] special, DecoderSpec spec)
    {
        var bytes = new byte[]?[tokenText.Length];
        var first = spec.MetaspaceReplacement is null ? null : new byte[]?[tokenText.Length];
        for (var id = 0; id < tokenText.Length; id++)
        {
            if (tokenText[id] is not { } text)
            {
                continue;
            }

            bytes[id] = spec.Bytes(text, first: false);
            if (first is not null)
            {
                first[id] = spec.Bytes(text, first: true);
            }
        }

        return new TokenDecoder(bytes, first, special, spec.StripLeading);
    }

    public DecodeState Start() => new() { StripRemaining = _stripLeading };

    public byte[] TokenBytes(int id) => (uint)id < (uint)_bytes.Length && _bytes[id] is { } b ? b : [];

    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>Appends what token <paramref name="id"/> contributes at this point of the stream; unknown ids add nothing.</summary>
    public void Write(int id, bool skipSpecialTokens, ref DecodeState state, IBufferWriter<byte> output)
    {
        if ((uint)id >= (uint)_bytes.Length || _bytes[id] is not { } bytes || (skipSpecialTokens && _special[id]))
        {
            return;
        }

        if (state.Tokens == 0 && _firstBytes?[id] is { } firstBytes)
        {
            bytes = firstBytes;
        }

        state.Tokens++;
        var skip = 0;
        while (state.StripRemaining > 0 && skip < bytes.Length && bytes[skip] == (byte)' ')
        {
            skip++;
            state.StripRemaining--;
        }

        if (skip < bytes.Length)
        {
            state.StripRemaining = 0;
            output.Write(bytes.AsSpan(skip));
        }
    }
}

/// <summary>Where a decode stands: how many tokens were emitted and how many leading spaces may still be stripped.</summary>
internal struct DecodeState
{
    public int Tokens;
    public int StripRemaining;
}
