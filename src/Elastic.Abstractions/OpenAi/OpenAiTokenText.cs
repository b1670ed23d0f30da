using System.Globalization;
using System.Text;

namespace Elastic.Abstractions.OpenAi;

/// <summary>How tokens are named in log-probabilities.</summary>
public static class OpenAiTokenText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The token's text when its bytes are valid UTF-8; otherwise OpenAI's <c>bytes:\xNN</c> form, so a token
    /// holding part of a character is still named uniquely (its exact bytes travel in <c>bytes</c>).
    /// </summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            var text = new StringBuilder("bytes:", 6 + (bytes.Length * 4));
            foreach (var b in bytes)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }

            return text.ToString();
        }
    }

    /// <summary>vLLM's <c>return_tokens_as_token_ids</c> form.</summary>
    public static string FromTokenId(int tokenId) => string.Create(CultureInfo.InvariantCulture, $"token_id:{tokenId}");
}
