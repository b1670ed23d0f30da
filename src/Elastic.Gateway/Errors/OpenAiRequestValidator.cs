using Elastic.Abstractions.OpenAi;

namespace Elastic.Gateway.Errors;

/// <summary>
/// The full OpenAI request validation the workers apply (Elastic.Abstractions), run at the gateway so a bad body
/// gets its 400 here, naming the parameter, without costing a worker.
/// </summary>
internal sealed class OpenAiRequestValidator : IRequestValidator
{
    public OpenAiError? Validate(OpenAiOperation operation, ReadOnlySpan<byte> utf8Json)
    {
        var body = utf8Json.ToArray();
        OpenAiError? error;
        var ok = operation == OpenAiOperation.ChatCompletions
            ? OpenAiRequestParser.TryParseChatCompletion(body, out _, out error)
            : OpenAiRequestParser.TryParseCompletion(body, out _, out error);
        return ok ? null : error;
    }
}
