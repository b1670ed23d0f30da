using System.Text.Json.Nodes;
using Elastic.Inference.Chat;
using Elastic.Inference.Configuration;
using Elastic.Inference.Tokenization;

namespace Elastic.Inference.Tests.TestCheckpoints;

/// <summary>A complete tiny checkpoint folder: random weights plus a trained byte-level tokenizer, tokenizer_config with chat template and generation_config.</summary>
public static class TinyServedCheckpoint
{
    public const string Eos = "<|endoftext|>";

    public static string Write(string directory, ModelFamily family = ModelFamily.Qwen3Moe, int seed = 1234)
    {
        Directory.CreateDirectory(directory);
        var corpus = Enumerable.Range(0, 200).Select(i => $"{i}+{i * 3 % 97}={i + (i * 3 % 97)} the quick brown fox jumps {i % 7} times; héllo wörld ✓ 日本");
        ByteLevelBpeTrainer.Train(corpus, 320, [Eos, "<|im_start|>", "<|im_end|>"], Path.Combine(directory, "tokenizer.json"));
        var tokenizerConfig = new JsonObject
        {
            ["eos_token"] = Eos,
            ["bos_token"] = null,
            ["add_bos_token"] = false,
            ["chat_template"] = BuiltInChatTemplates.ChatMl,
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), tokenizerConfig.ToJsonString());
        var tokenizer = ModelTokenizer.Load(directory);

        var config = TestCheckpoint.TinyConfig(family);
        config["vocab_size"] = tokenizer.VocabSize;
        config["eos_token_id"] = tokenizer.EosTokenId;
        config["bos_token_id"] = null;
        config["max_position_embeddings"] = 256;
        TestCheckpoint.Write(directory, config, seed);
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), new JsonObject { ["eos_token_id"] = tokenizer.EosTokenId }.ToJsonString());
        return directory;
    }
}
