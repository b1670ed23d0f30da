using System.Buffers;
using System.Text.Json;

namespace Elastic.Abstractions.OpenAi;

/// <summary>Writes an <see cref="OpenAiError"/> as the exact JSON OpenAI sends, for plain responses and SSE streams alike.</summary>
public static class OpenAiErrorWriter
{
    public static byte[] ToUtf8Json(OpenAiError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return JsonSerializer.SerializeToUtf8Bytes(error.ToResponse(), OpenAiJsonContext.Default.OpenAiErrorResponse);
    }

    public static void Write(IBufferWriter<byte> output, OpenAiError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        using var writer = new Utf8JsonWriter(output);
        JsonSerializer.Serialize(writer, error.ToResponse(), OpenAiJsonContext.Default.OpenAiErrorResponse);
    }
}
