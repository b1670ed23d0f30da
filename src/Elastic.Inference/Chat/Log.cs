using Microsoft.Extensions.Logging;

namespace Elastic.Inference.Chat;

// Event ids 1100-1119 belong to chat-template resolution; keep them stable for log queries.
internal static partial class Log
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Using chat template from {Source} in {CheckpointDir}")]
    public static partial void CheckpointChatTemplateUsed(ILogger logger, string source, string checkpointDir);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Ignoring chat template from {Source} in {CheckpointDir}: {Reason}")]
    public static partial void CheckpointChatTemplateRejected(ILogger logger, string source, string checkpointDir, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "No chat template in {CheckpointDir} (looked for chat_template.jinja and tokenizer_config.json 'chat_template')")]
    public static partial void NoCheckpointChatTemplate(ILogger logger, string checkpointDir);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Using the built-in {Family} chat template: {Reason}")]
    public static partial void BuiltInChatTemplateUsed(ILogger logger, string family, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Could not read {Path}: {Reason}")]
    public static partial void TokenizerConfigUnreadable(ILogger logger, string path, string reason);
}
