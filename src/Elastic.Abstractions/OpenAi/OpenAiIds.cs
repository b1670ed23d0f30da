using System.Globalization;

namespace Elastic.Abstractions.OpenAi;

/// <summary>Response ids in OpenAI's shapes.</summary>
public static class OpenAiIds
{
    public static string NewCompletionId() => "cmpl-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);

    public static string NewChatCompletionId() => "chatcmpl-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
}
