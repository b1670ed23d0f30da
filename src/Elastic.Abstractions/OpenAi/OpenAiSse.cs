using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Elastic.Abstractions.OpenAi;

/// <summary>Server-sent-events framing of OpenAI streams: <c>data: {json}\n\n</c> per chunk, <c>data: [DONE]\n\n</c> last.</summary>
public static class OpenAiSse
{
    public const string ContentType = "text/event-stream";

    public static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    public static void WriteEvent<T>(IBufferWriter<byte> output, T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        output.Write("\n\n"u8);
    }

    /// <summary>An error after the stream began: the status line is gone, so it travels as an event, as vLLM sends it.</summary>
    public static void WriteError(IBufferWriter<byte> output, OpenAiError error) =>
        WriteEvent(output, (error ?? throw new ArgumentNullException(nameof(error))).ToResponse(), OpenAiJsonContext.Default.OpenAiErrorResponse);

    public static void WriteDone(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(Done);
    }
}
