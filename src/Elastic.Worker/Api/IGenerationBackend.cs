using Elastic.Inference.Chat;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary>
/// What the OpenAI endpoints need from a model: tokenization, token names for log-probabilities, and streamed
/// generation. Implemented in process (<see cref="LocalGenerationBackend"/>) and over Orleans grains.
/// </summary>
public interface IGenerationBackend
{
    /// <summary>The id clients pass as <c>model</c>.</summary>
    string ModelName { get; }

    /// <summary>Most prompt + completion tokens one sequence may have.</summary>
    int MaxModelLength { get; }

    /// <summary>When the model was loaded, for <c>/v1/models</c>.</summary>
    long CreatedUnixSeconds { get; }

    /// <summary>Token ids are valid below this bound.</summary>
    int VocabSize { get; }

    /// <summary>
    /// The checkpoint's <c>generation_config.json</c>: its temperature, top_p and top_k apply to requests that leave
    /// them out, as vLLM applies them by default (a model's recommended sampling, e.g. Qwen3's 0.6 / 0.95 / 20).
    /// </summary>
    GenerationConfig Generation { get; }

    /// <summary>A completions prompt's tokens, with the model's usual leading special tokens.</summary>
    IReadOnlyList<int> EncodePrompt(string text);

    /// <summary>A conversation rendered with the model's chat template, ending with the assistant's turn.</summary>
    IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages);

    /// <summary>The token's name in log-probabilities: its text, or <c>bytes:\xNN</c> when its bytes are not valid UTF-8.</summary>
    string TokenText(int id);

    /// <summary>The UTF-8 bytes the token stands for.</summary>
    byte[] TokenBytes(int id);

    /// <summary>
    /// Streams one sequence. Throws <see cref="Elastic.Inference.Engine.EngineOverloadedException"/> when refused
    /// for load and <see cref="ArgumentException"/> for a request that can never run; cancelling frees its KV cache.
    /// </summary>
    IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken ct);
}
