using Elastic.Inference.Engine;

namespace Elastic.Worker.Api;

/// <summary>Engine finish reasons in OpenAI's words; "abort" is vLLM's word for a cancelled sequence.</summary>
internal static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string Abort = "abort";

    public static string ToOpenAi(FinishReason reason) => reason switch
    {
        FinishReason.Stop => Stop,
        FinishReason.Length => Length,
        _ => Abort,
    };

    public static string? ToOpenAi(FinishReason? reason) => reason is { } r ? ToOpenAi(r) : null;
}
