namespace Elastic.Inference.Engine;

/// <summary>Why a sequence ended, in OpenAI's terms where they exist.</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token, a stop token or a stop string.</summary>
    Stop,

    /// <summary>max_tokens or the model's context was reached.</summary>
    Length,

    /// <summary>The caller cancelled (client gone, timeout).</summary>
    Abort,
}
