using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;

namespace Elastic.Inference.Tests.TestCheckpoints;

/// <summary>
/// Writes tiny random checkpoints in the Hugging Face on-disk layout (config.json plus one or more
/// safetensors files), so engine tests run against real files without downloading a model.
/// </summary>
/// <remarks>
/// Named in the singular because a class named like its namespace (<c>TestCheckpoints</c>) cannot be
/// referred to by its simple name from other <c>Elastic.Inference.Tests.*</c> namespaces: the
/// namespace wins the lookup.
/// </remarks>
public static class TestCheckpoint
{
    public const string ConfigFileName = "config.json";
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IReadOnlyList<ModelFamily> AllFamilies { get; } =
        [ModelFamily.Mixtral, ModelFamily.Qwen3Moe, ModelFamily.OlMoe, ModelFamily.Qwen2Moe];

    /// <summary>
    /// A realistic <c>config.json</c> for <paramref name="family"/> at toy size. Each family is tuned to
    /// exercise a different path: Qwen3 has an explicit head_dim unlike hidden/heads and renormalised
    /// top-k; Qwen2-MoE has a dense layer, a shared expert, q/k/v biases and tied embeddings; OLMoE has
    /// full-projection q/k norm and no bos; all use grouped-query attention.
    /// </summary>
    public static JsonObject TinyConfig(ModelFamily family)
    {
        // Parsed from text on purpose: ModelConfig.Parse only accepts numbers that came from JSON text.
        var text = family switch
        {
            ModelFamily.Mixtral => """
                {
                  "architectures": ["MixtralForCausalLM"],
                  "model_type": "mixtral",
                  "vocab_size": 80,
                  "hidden_size": 32,
                  "intermediate_size": 24,
                  "num_hidden_layers": 2,
                  "num_attention_heads": 4,
                  "num_key_value_heads": 2,
                  "num_local_experts": 4,
                  "num_experts_per_tok": 2,
                  "hidden_act": "silu",
                  "max_position_embeddings": 128,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 1000000.0,
                  "sliding_window": null,
                  "attention_dropout": 0.0,
                  "router_jitter_noise": 0.0,
                  "router_aux_loss_coef": 0.02,
                  "output_router_logits": false,
                  "initializer_range": 0.02,
                  "tie_word_embeddings": false,
                  "use_cache": true,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "float32",
                  "transformers_version": "4.46.0"
                }
                """,
            ModelFamily.Qwen3Moe => """
                {
                  "architectures": ["Qwen3MoeForCausalLM"],
                  "model_type": "qwen3_moe",
                  "vocab_size": 96,
                  "hidden_size": 48,
                  "intermediate_size": 64,
                  "moe_intermediate_size": 32,
                  "num_hidden_layers": 3,
                  "num_attention_heads": 4,
                  "num_key_value_heads": 2,
                  "head_dim": 16,
                  "num_experts": 6,
                  "num_experts_per_tok": 2,
                  "norm_topk_prob": true,
                  "decoder_sparse_step": 1,
                  "mlp_only_layers": [],
                  "hidden_act": "silu",
                  "attention_bias": false,
                  "attention_dropout": 0.0,
                  "max_position_embeddings": 128,
                  "max_window_layers": 3,
                  "rms_norm_eps": 1e-06,
                  "rope_scaling": null,
                  "rope_theta": 1000000.0,
                  "sliding_window": null,
                  "use_sliding_window": false,
                  "router_aux_loss_coef": 0.001,
                  "output_router_logits": false,
                  "initializer_range": 0.02,
                  "tie_word_embeddings": false,
                  "use_cache": true,
                  "bos_token_id": 0,
                  "eos_token_id": [2, 3],
                  "torch_dtype": "bfloat16",
                  "transformers_version": "4.51.0"
                }
                """,
            ModelFamily.OlMoe => """
                {
                  "architectures": ["OlmoeForCausalLM"],
                  "model_type": "olmoe",
                  "vocab_size": 64,
                  "hidden_size": 32,
                  "intermediate_size": 24,
                  "num_hidden_layers": 2,
                  "num_attention_heads": 4,
                  "num_key_value_heads": 2,
                  "num_experts": 5,
                  "num_experts_per_tok": 2,
                  "norm_topk_prob": false,
                  "clip_qkv": null,
                  "hidden_act": "silu",
                  "attention_bias": false,
                  "attention_dropout": 0.0,
                  "max_position_embeddings": 128,
                  "rms_norm_eps": 1e-05,
                  "rope_scaling": null,
                  "rope_theta": 10000.0,
                  "router_aux_loss_coef": 0.01,
                  "output_router_logits": false,
                  "initializer_range": 0.02,
                  "tie_word_embeddings": false,
                  "use_cache": true,
                  "bos_token_id": null,
                  "eos_token_id": 63,
                  "pad_token_id": 1,
                  "torch_dtype": "bfloat16",
                  "transformers_version": "4.43.0"
                }
                """,
            ModelFamily.Qwen2Moe => """
                {
                  "architectures": ["Qwen2MoeForCausalLM"],
                  "model_type": "qwen2_moe",
                  "vocab_size": 72,
                  "hidden_size": 32,
                  "intermediate_size": 64,
                  "moe_intermediate_size": 24,
                  "shared_expert_intermediate_size": 48,
                  "num_hidden_layers": 3,
                  "num_attention_heads": 4,
                  "num_key_value_heads": 2,
                  "num_experts": 4,
                  "num_experts_per_tok": 2,
                  "norm_topk_prob": false,
                  "decoder_sparse_step": 1,
                  "mlp_only_layers": [1],
                  "hidden_act": "silu",
                  "attention_dropout": 0.0,
                  "max_position_embeddings": 128,
                  "max_window_layers": 3,
                  "rms_norm_eps": 1e-06,
                  "rope_theta": 1000000.0,
                  "sliding_window": 128,
                  "use_sliding_window": false,
                  "router_aux_loss_coef": 0.001,
                  "output_router_logits": false,
                  "initializer_range": 0.02,
                  "tie_word_embeddings": true,
                  "use_cache": true,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "bfloat16",
                  "transformers_version": "4.40.0"
                }
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "no tiny config for this family"),
        };
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>
    /// Parses a config object the way the engine will see it after loading config.json. Round-trips
    /// through text so values set from C# (<c>config["x"] = 3</c>) parse like values read from a file.
    /// </summary>
    public static ModelConfig Parse(JsonObject config) =>
        ModelConfig.Parse(JsonNode.Parse(config.ToJsonString())!.AsObject());

    /// <summary>
    /// Deterministic random weights for every tensor <see cref="WeightNames.Expected"/> lists, in that order.
    /// Scales are chosen so activations stay O(1) through the layers: RMSNorm gains 1 ± 0.1, matrices
    /// with std 1/sqrt(fan_in) (so a projection of a normalised vector has unit-scale outputs and the
    /// router's softmax is neither uniform nor one-hot), biases std 0.1.
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape, float[] Data)> RandomWeights(ModelConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        var random = new Random(seed);
        var result = new List<(string, long[], float[])>();
        foreach (var (name, shape) in WeightNames.Expected(config))
        {
            var count = checked((int)shape.Aggregate(1L, (a, b) => a * b));
            var data = new float[count];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                for (var i = 0; i < count; i++)
                {
                    data[i] = (float)(1.0 + ((random.NextDouble() * 2.0) - 1.0) * 0.1);
                }
            }
            else
            {
                double std = name switch
                {
                    _ when name.EndsWith(".bias", StringComparison.Ordinal) => 0.1,
                    // Rows of the embedding are the residual stream's starting point and, when tied, the
                    // output head; 0.4 keeps both the residual and the tied logits at a useful scale.
                    WeightNames.Embedding => 0.4,
                    _ => 1.0 / Math.Sqrt(shape[^1]),
                };
                for (var i = 0; i < count; i++)
                {
                    data[i] = (float)(NextGaussian(random) * std);
                }
            }

            result.Add((name, shape, data));
        }

        return result;
    }

    /// <summary>
    /// Writes <c>config.json</c> and random weights for <paramref name="config"/> into <paramref name="directory"/>
    /// (created if missing): one <c>model.safetensors</c>, or with <paramref name="shards"/> &gt; 1
    /// <c>model-0000i-of-0000N.safetensors</c> files plus <c>model.safetensors.index.json</c>, as
    /// <c>save_pretrained</c> does. The written config's <c>torch_dtype</c> names <paramref name="dtype"/>;
    /// the caller's object is not modified. Returns <paramref name="directory"/>.
    /// </summary>
    public static string Write(string directory, JsonObject config, int seed, TensorDType dtype = TensorDType.F32, int shards = 1)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);

        var parsed = Parse(config);
        var tensors = RandomWeights(parsed, seed);
        if (shards > tensors.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(shards), shards, $"only {tensors.Count} tensors to spread over the shards");
        }

        Directory.CreateDirectory(directory);
        var written = config.DeepClone().AsObject();
        written["torch_dtype"] = dtype switch
        {
            TensorDType.F32 => "float32",
            TensorDType.F16 => "float16",
            TensorDType.BF16 => "bfloat16",
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype"),
        };
        File.WriteAllText(Path.Combine(directory, ConfigFileName), written.ToJsonString(Indented));

        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (shards == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(directory, SingleFileName), tensors, dtype, metadata);
            return directory;
        }

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long totalBytes = 0;
        for (var s = 0; s < shards; s++)
        {
            // Contiguous slices in Expected order, like save_pretrained's size-based split: a layer's
            // tensors usually share a file but some straddle a boundary, which loaders must handle.
            var slice = tensors.Skip(s * tensors.Count / shards).Take(((s + 1) * tensors.Count / shards) - (s * tensors.Count / shards)).ToList();
            var fileName = string.Create(CultureInfo.InvariantCulture, $"model-{s + 1:D5}-of-{shards:D5}.safetensors");
            SafeTensorsWriter.Write(Path.Combine(directory, fileName), slice, dtype, metadata);
            foreach (var (name, _, data) in slice)
            {
                weightMap[name] = fileName;
                totalBytes += data.LongLength * SafeTensorsFile.ElementSize(dtype);
            }
        }

        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalBytes },
            ["weight_map"] = new JsonObject(weightMap.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        File.WriteAllText(Path.Combine(directory, IndexFileName), index.ToJsonString(Indented));
        return directory;
    }

    /// <summary>Writes <see cref="TinyConfig"/> of <paramref name="family"/> with random weights; returns the directory.</summary>
    public static string WriteTiny(string directory, ModelFamily family, int seed = 1234, TensorDType dtype = TensorDType.F32, int shards = 1) =>
        Write(directory, TinyConfig(family), seed, dtype, shards);

    /// <summary>Reads <c>config.json</c> from a checkpoint folder, through the engine's parser.</summary>
    public static ModelConfig LoadConfig(string directory) => ModelConfig.Load(directory);

    /// <summary>
    /// Reads every tensor of a checkpoint folder as fp32, following <c>model.safetensors.index.json</c>
    /// when present and otherwise reading <c>model.safetensors</c>.
    /// </summary>
    public static Dictionary<string, float[]> ReadAllWeights(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var indexPath = Path.Combine(directory, IndexFileName);
        if (File.Exists(indexPath))
        {
            var weightMap = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"] as JsonObject
                ?? throw new InvalidDataException($"{indexPath}: no weight_map object");
            var byFile = weightMap.GroupBy(kv => kv.Value!.GetValue<string>(), kv => kv.Key, StringComparer.Ordinal);
            foreach (var group in byFile)
            {
                using var file = SafeTensorsFile.Open(Path.Combine(directory, group.Key));
                foreach (var name in group)
                {
                    if (!file.Tensors.TryGetValue(name, out var entry))
                    {
                        throw new InvalidDataException($"{indexPath} maps '{name}' to {group.Key}, which does not hold it");
                    }

                    result.Add(name, file.ReadFloat32(entry));
                }
            }

            return result;
        }

        var singlePath = Path.Combine(directory, SingleFileName);
        if (!File.Exists(singlePath))
        {
            throw new FileNotFoundException($"neither {IndexFileName} nor {SingleFileName} in {directory}", singlePath);
        }

        using (var file = SafeTensorsFile.Open(singlePath))
        {
            foreach (var (name, entry) in file.Tensors)
            {
                result.Add(name, file.ReadFloat32(entry));
            }
        }

        return result;
    }

    private static double NextGaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() lies in (0, 1], so the log is finite.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
