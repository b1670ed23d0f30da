using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace Elastic.Abstractions.OpenAi;

/// <summary>
/// Parses and validates OpenAI request bodies into typed requests. Every failure is a 400 whose
/// <c>param</c> names the field (e.g. <c>messages[1].role</c>); unknown fields are ignored, as OpenAI and vLLM do.
/// </summary>
public static class OpenAiRequestParser
{
    /// <summary>Most choices one request may ask for (OpenAI's limit on n).</summary>
    public const int MaxN = 16;

    /// <summary>Most prompts × n in one completions request, so one call cannot occupy the whole engine.</summary>
    public const int MaxChoicesPerRequest = 128;

    public const int MaxStopSequences = 4;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static bool TryParseCompletion(ReadOnlyMemory<byte> utf8Json, [NotNullWhen(true)] out CompletionRequest? request, [NotNullWhen(false)] out OpenAiError? error) =>
        TryParse(utf8Json, ParseCompletion, out request, out error);

    public static bool TryParseChatCompletion(ReadOnlyMemory<byte> utf8Json, [NotNullWhen(true)] out ChatCompletionRequest? request, [NotNullWhen(false)] out OpenAiError? error) =>
        TryParse(utf8Json, ParseChat, out request, out error);

    private static bool TryParse<T>(ReadOnlyMemory<byte> utf8Json, Func<JsonElement, T> parse, [NotNullWhen(true)] out T? request, [NotNullWhen(false)] out OpenAiError? error)
        where T : class
    {
        request = null;
        error = null;
        try
        {
            using var document = JsonDocument.Parse(utf8Json, DocumentOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = NotJson();
                return false;
            }

            request = parse(document.RootElement);
            return true;
        }
        catch (JsonException)
        {
            error = NotJson();
            return false;
        }
        catch (OpenAiRequestException ex)
        {
            error = ex.Error;
            return false;
        }
    }

    private static OpenAiError NotJson() => OpenAiError.InvalidRequest(
        "We could not parse the JSON body of your request. The API expects a JSON object as the request body.");

    private static CompletionRequest ParseCompletion(JsonElement root)
    {
        var model = JsonFields.RequiredString(root, "model", "model");
        var prompts = ParsePrompts(JsonFields.Required(root, "prompt", "prompt"));
        var maxTokens = JsonFields.OptionalInt(root, "max_tokens", "max_tokens", 1, int.MaxValue);
        var logprobs = JsonFields.OptionalInt(root, "logprobs", "logprobs", 0, 20);
        var echo = JsonFields.OptionalBool(root, "echo", "echo") ?? false;
        if (echo && logprobs is not null)
        {
            throw JsonFields.Invalid("echo", "echo together with logprobs is not supported (prompt log-probabilities are not computed).");
        }

        var sampling = ParseSampling(root);
        if (prompts.Count * sampling.N > MaxChoicesPerRequest)
        {
            throw JsonFields.Invalid("prompt", string.Create(CultureInfo.InvariantCulture,
                $"{prompts.Count} prompts × n={sampling.N} ask for more than {MaxChoicesPerRequest} choices in one request."));
        }

        var (stream, includeUsage) = ParseStream(root);
        return new CompletionRequest
        {
            Model = model,
            Prompts = prompts,
            MaxTokens = maxTokens,
            Logprobs = logprobs,
            Echo = echo,
            Sampling = sampling,
            Stream = stream,
            IncludeUsage = includeUsage,
            User = JsonFields.OptionalString(root, "user", "user"),
            ReturnTokensAsTokenIds = JsonFields.OptionalBool(root, "return_tokens_as_token_ids", "return_tokens_as_token_ids") ?? false,
        };
    }

    private static ChatCompletionRequest ParseChat(JsonElement root)
    {
        var model = JsonFields.RequiredString(root, "model", "model");
        var messages = ParseMessages(JsonFields.Required(root, "messages", "messages"));
        var maxTokens = JsonFields.OptionalInt(root, "max_tokens", "max_tokens", 1, int.MaxValue);
        var maxCompletionTokens = JsonFields.OptionalInt(root, "max_completion_tokens", "max_completion_tokens", 1, int.MaxValue);
        var logprobs = JsonFields.OptionalBool(root, "logprobs", "logprobs") ?? false;
        var topLogprobs = JsonFields.OptionalInt(root, "top_logprobs", "top_logprobs", 0, 20);
        if (topLogprobs > 0 && !logprobs)
        {
            throw JsonFields.Invalid("top_logprobs", "'logprobs' must be true when 'top_logprobs' is set.");
        }

        var (stream, includeUsage) = ParseStream(root);
        return new ChatCompletionRequest
        {
            Model = model,
            Messages = messages,
            MaxTokens = maxCompletionTokens ?? maxTokens,
            Logprobs = logprobs,
            TopLogprobs = logprobs ? topLogprobs ?? 0 : null,
            Sampling = ParseSampling(root),
            Stream = stream,
            IncludeUsage = includeUsage,
            User = JsonFields.OptionalString(root, "user", "user"),
            ReturnTokensAsTokenIds = JsonFields.OptionalBool(root, "return_tokens_as_token_ids", "return_tokens_as_token_ids") ?? false,
        };
    }

    private static OpenAiSamplingOptions ParseSampling(JsonElement root) => new()
    {
        Temperature = JsonFields.OptionalNumber(root, "temperature", "temperature", 0, 2),
        TopP = JsonFields.OptionalNumber(root, "top_p", "top_p", 0, 1, minExclusive: true),
        TopK = JsonFields.OptionalInt(root, "top_k", "top_k", -1, int.MaxValue),
        Seed = JsonFields.OptionalLong(root, "seed", "seed"),
        Stop = ParseStop(root),
        StopTokenIds = ParseStopTokenIds(root),
        IgnoreEos = JsonFields.OptionalBool(root, "ignore_eos", "ignore_eos") ?? false,
        N = JsonFields.OptionalInt(root, "n", "n", 1, MaxN) ?? 1,
        PresencePenalty = JsonFields.OptionalNumber(root, "presence_penalty", "presence_penalty", -2, 2) ?? 0,
        FrequencyPenalty = JsonFields.OptionalNumber(root, "frequency_penalty", "frequency_penalty", -2, 2) ?? 0,
    };

    private static (bool Stream, bool IncludeUsage) ParseStream(JsonElement root)
    {
        var stream = JsonFields.OptionalBool(root, "stream", "stream") ?? false;
        if (!JsonFields.TryGet(root, "stream_options", out var options))
        {
            return (stream, false);
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            throw JsonFields.WrongType("stream_options", "an object", options);
        }

        if (!stream)
        {
            throw JsonFields.Invalid("stream_options", "'stream_options' is only allowed when 'stream' is true.");
        }

        return (stream, JsonFields.OptionalBool(options, "include_usage", "stream_options.include_usage") ?? false);
    }

    private static List<string> ParseStop(JsonElement root)
    {
        if (!JsonFields.TryGet(root, "stop", out var stop))
        {
            return [];
        }

        if (stop.ValueKind == JsonValueKind.String)
        {
            return [NonEmpty(stop.GetString()!, "stop")];
        }

        if (stop.ValueKind != JsonValueKind.Array)
        {
            throw JsonFields.WrongType("stop", "a string or an array of strings", stop);
        }

        var count = stop.GetArrayLength();
        if (count > MaxStopSequences)
        {
            throw JsonFields.Invalid("stop", string.Create(CultureInfo.InvariantCulture,
                $"array too long. Expected an array with maximum length {MaxStopSequences}, but got an array with length {count} instead."));
        }

        var result = new List<string>(count);
        var i = 0;
        foreach (var item in stop.EnumerateArray())
        {
            var path = Indexed("stop", i++);
            result.Add(item.ValueKind == JsonValueKind.String ? NonEmpty(item.GetString()!, path) : throw JsonFields.WrongType(path, "a string", item));
        }

        return result;
    }

    private static List<int> ParseStopTokenIds(JsonElement root)
    {
        if (!JsonFields.TryGet(root, "stop_token_ids", out var ids))
        {
            return [];
        }

        var result = new List<int>();
        var i = 0;
        foreach (var item in JsonFields.Array(ids, "stop_token_ids"))
        {
            result.Add((int)JsonFields.Integer(item, Indexed("stop_token_ids", i++), 0, int.MaxValue));
        }

        return result;
    }

    private static List<PromptInput> ParsePrompts(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [PromptInput.FromText(prompt.GetString()!)];
        }

        const string Expected = "a string, an array of strings, an array of integers or an array of integer arrays";
        if (prompt.ValueKind != JsonValueKind.Array)
        {
            throw JsonFields.WrongType("prompt", Expected, prompt);
        }

        if (prompt.GetArrayLength() == 0)
        {
            throw EmptyArray("prompt");
        }

        var first = prompt[0].ValueKind;
        if (first == JsonValueKind.Number)
        {
            return [PromptInput.FromTokenIds(TokenIds(prompt, "prompt"))];
        }

        var prompts = new List<PromptInput>(prompt.GetArrayLength());
        var i = 0;
        foreach (var item in prompt.EnumerateArray())
        {
            var path = Indexed("prompt", i++);
            prompts.Add(first switch
            {
                JsonValueKind.String when item.ValueKind == JsonValueKind.String => PromptInput.FromText(item.GetString()!),
                JsonValueKind.Array when item.ValueKind == JsonValueKind.Array => PromptInput.FromTokenIds(TokenIds(item, path)),
                JsonValueKind.String => throw JsonFields.WrongType(path, "a string", item),
                JsonValueKind.Array => throw JsonFields.WrongType(path, "an array of integers", item),
                _ => throw JsonFields.WrongType(path, Expected, item),
            });
        }

        return prompts;
    }

    private static int[] TokenIds(JsonElement array, string path)
    {
        if (array.GetArrayLength() == 0)
        {
            throw EmptyArray(path);
        }

        var ids = new int[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            ids[i] = (int)JsonFields.Integer(item, Indexed(path, i), 0, int.MaxValue);
            i++;
        }

        return ids;
    }

    private static List<ChatMessageInput> ParseMessages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw JsonFields.WrongType("messages", "an array", messages);
        }

        if (messages.GetArrayLength() == 0)
        {
            throw EmptyArray("messages");
        }

        var result = new List<ChatMessageInput>(messages.GetArrayLength());
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            result.Add(ParseMessage(message, Indexed("messages", i++)));
        }

        return result;
    }

    private static ChatMessageInput ParseMessage(JsonElement message, string path)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw JsonFields.WrongType(path, "an object", message);
        }

        var rolePath = path + ".role";
        var role = JsonFields.RequiredString(message, "role", rolePath) switch
        {
            "system" or "developer" => "system",
            "user" => "user",
            "assistant" => "assistant",
            var other => throw new OpenAiRequestException(OpenAiError.InvalidRequest(
                $"Invalid value: '{other}'. Supported values are: 'system', 'assistant', 'user' and 'developer'.", rolePath)),
        };

        var contentPath = path + ".content";
        if (!JsonFields.TryGet(message, "content", out var content))
        {
            // An assistant turn that only called tools has no content; nothing else may omit it.
            return role == "assistant" ? new ChatMessageInput(role, "") : throw JsonFields.Missing(contentPath);
        }

        return new ChatMessageInput(role, content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => JoinTextParts(content, contentPath),
            _ => throw JsonFields.WrongType(contentPath, "a string or an array of content parts", content),
        });
    }

    /// <summary>Text parts are joined with newlines, as vLLM does for text-only models.</summary>
    private static string JoinTextParts(JsonElement parts, string path)
    {
        var texts = new List<string>(parts.GetArrayLength());
        var j = 0;
        foreach (var part in parts.EnumerateArray())
        {
            var partPath = Indexed(path, j++);
            if (part.ValueKind != JsonValueKind.Object)
            {
                throw JsonFields.WrongType(partPath, "an object", part);
            }

            var type = JsonFields.RequiredString(part, "type", partPath + ".type");
            if (type != "text")
            {
                throw new OpenAiRequestException(OpenAiError.InvalidRequest(
                    $"Unsupported content part type: '{type}'. This model only accepts 'text' parts.", partPath + ".type"));
            }

            texts.Add(JsonFields.RequiredString(part, "text", partPath + ".text"));
        }

        return string.Join('\n', texts);
    }

    private static string NonEmpty(string value, string path) =>
        value.Length > 0 ? value : throw JsonFields.Invalid(path, "empty string. Stop sequences must not be empty.");

    private static OpenAiRequestException EmptyArray(string path) =>
        JsonFields.Invalid(path, "empty array. Expected an array with minimum length 1, but got an empty array instead.");

    private static string Indexed(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
}
