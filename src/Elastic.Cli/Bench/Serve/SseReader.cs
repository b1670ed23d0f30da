using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Elastic.Cli.Bench.Serve;

/// <summary>Reads the <c>data:</c> payloads of a server-sent-event stream, one per event, as they arrive.</summary>
internal static class SseReader
{
    /// <summary>
    /// Yields each event's data (multi-line data joined with '\n'); comments (":") and other fields are skipped.
    /// Stops after <c>[DONE]</c>, which OpenAI-style servers send last, or at the end of the stream.
    /// </summary>
    public static async IAsyncEnumerable<string> ReadDataAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
        var data = new StringBuilder();
        var hasData = false;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    var payload = data.ToString();
                    data.Clear();
                    hasData = false;
                    if (payload == "[DONE]")
                    {
                        yield break;
                    }

                    yield return payload;
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                var value = line.AsSpan(5);
                if (value.Length > 0 && value[0] == ' ')
                {
                    value = value[1..];
                }

                if (hasData)
                {
                    data.Append('\n');
                }

                data.Append(value);
                hasData = true;
            }
        }

        // A stream cut without a final blank line still delivers its last event.
        if (hasData && data.ToString() is var last && last != "[DONE]")
        {
            yield return last;
        }
    }
}

/// <summary>One parsed chunk of an OpenAI completion stream.</summary>
internal readonly record struct CompletionChunk(string Text, int? CompletionTokens, int? PromptTokens, string? Error, bool HasChoice = false)
{
    /// <summary>
    /// Reads <c>choices[0].text</c> (completions) or <c>choices[0].delta.content</c> (chat), the <c>usage</c> block
    /// sent last when <c>stream_options.include_usage</c> is on, and an in-stream <c>error</c> object.
    /// </summary>
    public static CompletionChunk Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
            return new CompletionChunk("", null, null, message ?? error.GetRawText());
        }

        var text = "";
        var hasChoice = root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0;
        if (hasChoice)
        {
            var choice = choices[0];
            if (choice.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                text = t.GetString()!;
            }
            else if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            {
                text = c.GetString()!;
            }
        }

        int? completion = null, prompt = null;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            if (usage.TryGetProperty("completion_tokens", out var ct) && ct.TryGetInt32(out var ctv))
            {
                completion = ctv;
            }

            if (usage.TryGetProperty("prompt_tokens", out var pt) && pt.TryGetInt32(out var ptv))
            {
                prompt = ptv;
            }
        }

        return new CompletionChunk(text, completion, prompt, null, hasChoice);
    }
}
