using System.Text.Json;

namespace Elastic.Gateway.Errors;

/// <summary>
/// Light checks only: the body is a JSON object with a string <c>model</c> and <c>messages</c> (chat) or
/// <c>prompt</c> (completions). Everything finer is left to the worker until the full validator is plugged in.
/// </summary>
internal sealed class MinimalRequestValidator : IRequestValidator
{
    public OpenAiError? Validate(OpenAiOperation operation, ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
        JsonDocument document;
        try
        {
            if (!JsonDocument.TryParseValue(ref reader, out var parsed))
            {
                return OpenAiError.MalformedJson();
            }

            // Anything but whitespace after the value makes Read throw.
            if (reader.Read())
            {
                parsed.Dispose();
                return OpenAiError.MalformedJson();
            }

            document = parsed;
        }
        catch (JsonException)
        {
            return OpenAiError.MalformedJson();
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return OpenAiError.BadRequest("The request body must be a JSON object.");
            }

            if (!root.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
            {
                return OpenAiError.BadRequest("You must provide a model parameter.");
            }

            if (model.ValueKind != JsonValueKind.String)
            {
                return OpenAiError.InvalidType("model", "a string");
            }

            return operation switch
            {
                OpenAiOperation.ChatCompletions => Require(root, "messages", JsonValueKind.Array, "an array"),
                _ => RequirePrompt(root),
            };
        }
    }

    private static OpenAiError? Require(JsonElement root, string name, JsonValueKind kind, string expected)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return OpenAiError.MissingParameter(name);
        }

        return value.ValueKind == kind ? null : OpenAiError.InvalidType(name, expected);
    }

    private static OpenAiError? RequirePrompt(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
        {
            return OpenAiError.MissingParameter("prompt");
        }

        // A string, an array of strings, an array of token ids, or an array of such arrays.
        return prompt.ValueKind is JsonValueKind.String or JsonValueKind.Array
            ? null
            : OpenAiError.InvalidType("prompt", "a string, an array of strings or an array of token ids");
    }
}
