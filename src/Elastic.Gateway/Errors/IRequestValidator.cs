using Elastic.Abstractions.OpenAi;
namespace Elastic.Gateway.Errors;

/// <summary>The OpenAI operations whose bodies the gateway checks before forwarding.</summary>
public enum OpenAiOperation
{
    Completions,
    ChatCompletions,
}

/// <summary>
/// Checks a request body before it is forwarded, so bad input gets a clear 400 from the gateway instead of costing
/// a worker. The seam where the full OpenAI validation (Elastic.Abstractions) plugs in.
/// </summary>
public interface IRequestValidator
{
    /// <summary>Null when the body may be forwarded; otherwise the error to answer with.</summary>
    OpenAiError? Validate(OpenAiOperation operation, ReadOnlySpan<byte> utf8Json);
}
