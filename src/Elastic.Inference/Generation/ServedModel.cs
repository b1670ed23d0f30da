using Elastic.Inference.Chat;
using Elastic.Inference.Configuration;
using Elastic.Inference.Engine;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tokenization;
using Elastic.Inference.Tracing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elastic.Inference.Generation;

/// <summary>Everything needed to serve one checkpoint in one process: weights, tokenizer, chat template, generation defaults.</summary>
public sealed partial class ServedModel : IDisposable
{
    private ServedModel(string name, MoeModel model, ModelTokenizer tokenizer, ResolvedChatTemplate chatTemplate, GenerationConfig generation)
    {
        Name = name;
        Model = model;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        Generation = generation;
        EosTokenIds = [.. model.Config.EosTokenIds.Concat(generation.EosTokenIds).Concat(tokenizer.EosTokenId is { } eos ? [eos] : []).Distinct()];
    }

    /// <summary>The model id clients use: the checkpoint folder's name.</summary>
    public string Name { get; }

    public MoeModel Model { get; }

    public ModelTokenizer Tokenizer { get; }

    public ResolvedChatTemplate ChatTemplate { get; }

    public GenerationConfig Generation { get; }

    /// <summary>End-of-sequence ids from config.json, generation_config.json and the tokenizer, together.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    public ModelConfig Config => Model.Config;

    /// <summary>Loads a checkpoint folder; the tokenizer and template are checked before the weights are read.</summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="logger">Progress logs.</param>
    /// <param name="routedExperts">False leaves the routed experts out (they run on expert-shard grains); <see cref="CreateEngine"/> then cannot run the model.</param>
    public static ServedModel Load(string directory, ILogger? logger = null, bool routedExperts = true)
    {
        logger ??= NullLogger.Instance;
        var full = Path.GetFullPath(directory);
        var config = ModelConfig.Load(full);
        var tokenizer = ModelTokenizer.Load(full);
        if (tokenizer.VocabSize > config.VocabSize)
        {
            throw new CheckpointException(Path.Combine(full, "tokenizer.json"), null,
                $"tokenizer has {tokenizer.VocabSize} tokens but the model's vocab_size is {config.VocabSize}");
        }

        var template = ChatTemplateResolver.Resolve(full, config.Family, logger);
        var generation = GenerationConfig.Load(full);
        if (generation.Temperature is not null || generation.TopP is not null || generation.TopK is not null)
        {
            LogSamplingDefaults(logger, generation.Temperature, generation.TopP, generation.TopK);
        }

        var model = MoeModel.Load(full, logger, routedExperts);
        return new ServedModel(Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)), model, tokenizer, template, generation);
    }

    /// <summary>Prompt tokens for a chat conversation, rendered with the checkpoint's template.</summary>
    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) =>
        Tokenizer.Encode(ChatTemplate.Render(messages, addGenerationPrompt: true), addSpecialTokens: false);

    /// <summary>An engine over this model's local experts that ends sequences at this model's end-of-sequence tokens.</summary>
    public InferenceEngine CreateEngine(EngineOptions options, IRoutingTraceSink? trace = null)
    {
        options.EosTokenIds = EosTokenIds;
        return new InferenceEngine(Model.Transformer, Model.Experts, options, trace);
    }

    public void Dispose() => Model.Dispose();

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Sampling defaults from generation_config.json for requests that leave them out: temperature {Temperature}, top_p {TopP}, top_k {TopK}")]
    private static partial void LogSamplingDefaults(ILogger logger, float? temperature, float? topP, int? topK);
}
