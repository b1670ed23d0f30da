using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Chat;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary>Serves a model loaded in this process through its <see cref="TextGenerator"/>.</summary>
public sealed class LocalGenerationBackend(ServedModel model, TextGenerator generator) : IGenerationBackend
{
    private readonly ServedModel _model = model ?? throw new ArgumentNullException(nameof(model));
    private readonly TextGenerator _generator = generator ?? throw new ArgumentNullException(nameof(generator));

    public string ModelName => _model.Name;

    public int MaxModelLength => _generator.Loop.Engine.MaxModelLength;

    public long CreatedUnixSeconds { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public int VocabSize => _model.Config.VocabSize;

    public GenerationConfig Generation => _model.Generation;

    public IReadOnlyList<int> EncodePrompt(string text) => _model.Tokenizer.Encode(text, addSpecialTokens: true);

    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) => _model.EncodeChat(messages);

    public string TokenText(int id)
    {
        var bytes = _model.Tokenizer.TokenBytes(id);
        return bytes.Length > 0 ? OpenAiTokenText.FromBytes(bytes) : _model.Tokenizer.TokenText(id) ?? "";
    }

    public byte[] TokenBytes(int id) => _model.Tokenizer.TokenBytes(id);

    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken ct) =>
        _generator.GenerateAsync(prompt, sampling, ct);
}
