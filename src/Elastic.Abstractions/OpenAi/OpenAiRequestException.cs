namespace Elastic.Abstractions.OpenAi;

/// <summary>Carries a 400 out of the depths of parsing; caught at the parser's entry points and never seen by callers.</summary>
internal sealed class OpenAiRequestException(OpenAiError error) : Exception(error.Message)
{
    public OpenAiError Error { get; } = error;
}
