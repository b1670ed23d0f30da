namespace Elastic.Abstractions.OpenAi;

/// <summary>A chat message after parsing: role is system, user or assistant ("developer" arrives as "system"); content parts are joined.</summary>
public sealed record ChatMessageInput(string Role, string Content);
