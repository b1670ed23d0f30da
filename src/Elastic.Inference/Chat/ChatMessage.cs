namespace Elastic.Inference.Chat;

/// <summary>One turn of a conversation, as passed to a chat template's <c>messages</c>.</summary>
public sealed record ChatMessage(string Role, string Content);
