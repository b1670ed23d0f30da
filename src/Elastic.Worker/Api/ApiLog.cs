using Microsoft.Extensions.Logging;

namespace Elastic.Worker.Api;

/// <summary>The API's log events; ids 2000-2099 belong to the OpenAI endpoints.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Error, Message = "{Method} {Path} failed; answered 500")]
    public static partial void RequestFailed(ILogger logger, string method, string? path, Exception exception);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Method} {Path} refused: the engine is overloaded; answered 503")]
    public static partial void Overloaded(ILogger logger, string method, string? path);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "{Method} {Path}: the client went away; generation cancelled")]
    public static partial void ClientGone(ILogger logger, string method, string? path);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "{Method} {Path} failed after the stream began; the error was sent as an event")]
    public static partial void StreamFailed(ILogger logger, string method, string? path, Exception exception);
}
