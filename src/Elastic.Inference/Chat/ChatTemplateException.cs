namespace Elastic.Inference.Chat;

/// <summary>What went wrong with a chat template.</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template source does not parse.</summary>
    Syntax,

    /// <summary>Rendering failed (type error, undefined value used in arithmetic, ...).</summary>
    Render,

    /// <summary>The template itself refused the conversation through <c>raise_exception(...)</c>.</summary>
    Raised,
}

/// <summary>A chat template failed to parse or render; <see cref="Line"/>/<see cref="Column"/> point into the template source (1-based, 0 when unknown).</summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException()
    {
    }

    public ChatTemplateException(string message)
        : base(message)
    {
    }

    public ChatTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ChatTemplateException(ChatTemplateErrorKind kind, string message, int line, int column)
        : base(line > 0 ? $"{message} (line {line}, column {column})" : message)
    {
        Kind = kind;
        Line = line;
        Column = column;
        TemplateMessage = message;
    }

    public ChatTemplateErrorKind Kind { get; } = ChatTemplateErrorKind.Render;

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without the position suffix; for <see cref="ChatTemplateErrorKind.Raised"/> exactly the template's text.</summary>
    public string TemplateMessage { get; } = string.Empty;
}
