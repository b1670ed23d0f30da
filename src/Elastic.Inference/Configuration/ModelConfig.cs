using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elastic.Inference.Configuration;

/// <summary>The supported MoE model families, named by Hugging Face's <c>model_type</c>.</summary>
public enum ModelFamily
{
    Mixtral,
    Qwen3Moe,
    OlMoe,
    Qwen2Moe,
}

/// <summary>How the attention q/k projections are normalised before rotary embeddings.</summary>
public enum QkNorm
{
    /// <summary>No q/k normalisation (Mixtral, Qwen2-MoE).</summary>
    None,

    /// <summary>RMSNorm over each head's head_dim (Qwen3-MoE).</summary>
    PerHead,

    /// <summary>RMSNorm over the whole projection, all heads together (OLMoE).</summary>
    FullProjection,
}

/// <summary>
/// The architecture of a checkpoint, read from its Hugging Face <c>config.json</c> and normalised
/// across families so the rest of the engine never looks at family-specific key names.
/// </summary>
public sealed record ModelConfig
{
    public required ModelFamily Family { get; init; }
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required float RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required bool TieWordEmbeddings { get; init; }

    /// <summary>Number of routed experts in each sparse layer.</summary>
    public required int NumExperts { get; init; }

    /// <summary>Experts chosen per token (top-k).</summary>
    public required int NumExpertsPerToken { get; init; }

    /// <summary>Intermediate size of one routed expert's SwiGLU FFN.</summary>
    public required int ExpertIntermediateSize { get; init; }

    /// <summary>Intermediate size of the dense MLP used by non-sparse layers (0 when every layer is sparse).</summary>
    public required int DenseIntermediateSize { get; init; }

    /// <summary>Intermediate size of the always-on shared expert (Qwen2-MoE); 0 when absent.</summary>
    public required int SharedExpertIntermediateSize { get; init; }

    /// <summary>Renormalise the top-k routing weights to sum to one.</summary>
    public required bool NormTopKProb { get; init; }

    /// <summary>Whether q/k/v projections carry a bias.</summary>
    public required bool QkvBias { get; init; }

    public required QkNorm QkNorm { get; init; }

    /// <summary>Layer indices that use a dense MLP instead of experts.</summary>
    public required IReadOnlySet<int> DenseLayers { get; init; }

    /// <summary>OLMoE's optional clamp of q/k/v activations to [-clip, clip].</summary>
    public float? ClipQkv { get; init; }

    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The <c>torch_dtype</c> the checkpoint declares (informational; weights are converted to fp32).</summary>
    public string? TorchDtype { get; init; }

    public bool IsSparseLayer(int layer) => !DenseLayers.Contains(layer);

    public int QProjSize => NumHeads * HeadDim;
    public int KvProjSize => NumKvHeads * HeadDim;

    /// <summary>Bytes of KV cache per token across all layers at fp32.</summary>
    public long KvBytesPerToken => 2L * NumLayers * KvProjSize * sizeof(float);

    /// <summary>Reads and validates <c>config.json</c> from a checkpoint folder.</summary>
    public static ModelConfig Load(string checkpointDir)
    {
        var path = Path.Combine(checkpointDir, "config.json");
        if (!File.Exists(path))
        {
            throw new CheckpointException(path, null, "config.json not found in the checkpoint folder");
        }

        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CheckpointException(path, null, "config.json is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(path, null, $"config.json is not valid JSON: {ex.Message}");
        }

        return Parse(json, path);
    }

    /// <summary>Parses a Hugging Face config object; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig Parse(JsonObject json, string source = "config.json")
    {
        var reader = new ConfigReader(json, source);
        var modelType = reader.String("model_type");
        var family = modelType switch
        {
            "mixtral" => ModelFamily.Mixtral,
            "qwen3_moe" => ModelFamily.Qwen3Moe,
            "olmoe" => ModelFamily.OlMoe,
            "qwen2_moe" => ModelFamily.Qwen2Moe,
            _ => throw new CheckpointException(source, null,
                $"unsupported model_type '{modelType}'; supported: mixtral, qwen3_moe, olmoe, qwen2_moe"),
        };

        var hidden = reader.PositiveInt("hidden_size");
        var heads = reader.PositiveInt("num_attention_heads");
        var kvHeads = reader.OptionalInt("num_key_value_heads") ?? heads;
        // OLMoE's modeling code always uses hidden/heads, whatever head_dim says.
        var headDim = family == ModelFamily.OlMoe ? hidden / heads : reader.OptionalInt("head_dim") ?? hidden / heads;
        if (heads % kvHeads != 0)
        {
            throw new CheckpointException(source, null,
                $"num_attention_heads ({heads}) must be a multiple of num_key_value_heads ({kvHeads})");
        }

        if (headDim <= 0 || headDim % 2 != 0)
        {
            throw new CheckpointException(source, null, $"head_dim must be a positive even number, got {headDim}");
        }

        var layers = reader.PositiveInt("num_hidden_layers");
        var numExperts = family == ModelFamily.Mixtral
            ? reader.PositiveInt("num_local_experts")
            : reader.PositiveInt("num_experts");
        var topK = reader.PositiveInt("num_experts_per_tok");
        if (topK > numExperts)
        {
            throw new CheckpointException(source, null,
                $"num_experts_per_tok ({topK}) exceeds the number of experts ({numExperts})");
        }

        var intermediate = reader.OptionalInt("intermediate_size") ?? 0;
        var expertIntermediate = family switch
        {
            ModelFamily.Mixtral or ModelFamily.OlMoe => reader.PositiveInt("intermediate_size"),
            _ => reader.PositiveInt("moe_intermediate_size"),
        };

        var dense = new HashSet<int>();
        if (family is ModelFamily.Qwen2Moe or ModelFamily.Qwen3Moe)
        {
            var step = reader.OptionalInt("decoder_sparse_step") ?? 1;
            if (step <= 0)
            {
                throw new CheckpointException(source, null, $"decoder_sparse_step must be positive, got {step}");
            }

            foreach (var l in reader.IntList("mlp_only_layers"))
            {
                if (l < 0 || l >= layers)
                {
                    throw new CheckpointException(source, null, $"mlp_only_layers has layer {l}, outside 0..{layers - 1}");
                }

                dense.Add(l);
            }

            for (var l = 0; l < layers; l++)
            {
                if ((l + 1) % step != 0)
                {
                    dense.Add(l);
                }
            }

            if (dense.Count > 0 && intermediate <= 0)
            {
                throw new CheckpointException(source, null, "intermediate_size is required when some layers are dense (mlp_only_layers / decoder_sparse_step)");
            }
        }

        // Older configs say rope_theta + rope_scaling; newer ones nest both in rope_parameters.
        var ropeTheta = reader.OptionalDouble("rope_theta");
        foreach (var key in new[] { "rope_scaling", "rope_parameters" })
        {
            if (json[key] is not JsonObject rope)
            {
                continue;
            }

            var kind = (rope["rope_type"] ?? rope["type"])?.ToString();
            if (kind is not null and not "default")
            {
                throw new CheckpointException(source, null, $"{key} type '{kind}' is not supported (only the default rotary embedding is)");
            }

            if (rope["rope_theta"] is not null)
            {
                ropeTheta ??= new ConfigReader(rope, $"{source} ({key})").OptionalDouble("rope_theta");
            }
        }

        return new ModelConfig
        {
            Family = family,
            ModelType = modelType,
            VocabSize = reader.PositiveInt("vocab_size"),
            HiddenSize = hidden,
            NumLayers = layers,
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = (float)(reader.OptionalDouble("rms_norm_eps") ?? 1e-6),
            RopeTheta = ropeTheta ?? 10000.0,
            MaxPositionEmbeddings = reader.OptionalInt("max_position_embeddings") ?? 4096,
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? false,
            NumExperts = numExperts,
            NumExpertsPerToken = topK,
            ExpertIntermediateSize = expertIntermediate,
            DenseIntermediateSize = dense.Count > 0 ? intermediate : 0,
            SharedExpertIntermediateSize = family == ModelFamily.Qwen2Moe
                ? reader.OptionalInt("shared_expert_intermediate_size") ?? 5632
                : 0,
            NormTopKProb = family == ModelFamily.Mixtral || (reader.OptionalBool("norm_topk_prob") ?? false),
            QkvBias = family == ModelFamily.Qwen2Moe ? reader.OptionalBool("qkv_bias") ?? true : reader.OptionalBool("attention_bias") ?? false,
            QkNorm = family switch
            {
                ModelFamily.Qwen3Moe => QkNorm.PerHead,
                ModelFamily.OlMoe => QkNorm.FullProjection,
                _ => QkNorm.None,
            },
            DenseLayers = dense,
            ClipQkv = family == ModelFamily.OlMoe ? (float?)reader.OptionalDouble("clip_qkv") : null,
            BosTokenId = reader.OptionalInt("bos_token_id"),
            EosTokenIds = reader.IntOrIntList("eos_token_id"),
            TorchDtype = json["torch_dtype"]?.GetValue<string>() ?? json["dtype"]?.GetValue<string>(),
        };
    }

    private sealed class ConfigReader(JsonObject json, string source)
    {
        public string String(string key) =>
            json[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0
                ? s
                : throw new CheckpointException(source, null, $"'{key}' is missing or not a string");

        public int PositiveInt(string key)
        {
            var value = OptionalInt(key) ?? throw new CheckpointException(source, null, $"'{key}' is missing");
            return value > 0 ? value : throw new CheckpointException(source, null, $"'{key}' must be positive, got {value}");
        }

        public int? OptionalInt(string key)
        {
            var node = json[key];
            if (node is null)
            {
                return null;
            }

            if (TryNumber(node, out var dbl) && dbl == Math.Floor(dbl) && Math.Abs(dbl) < int.MaxValue)
            {
                return (int)dbl;
            }

            throw new CheckpointException(source, null, $"'{key}' must be an integer, got {node.ToJsonString()}");
        }

        public double? OptionalDouble(string key)
        {
            var node = json[key];
            if (node is null)
            {
                return null;
            }

            return TryNumber(node, out var d)
                ? d
                : throw new CheckpointException(source, null, $"'{key}' must be a number, got {node.ToJsonString()}");
        }

        public bool? OptionalBool(string key)
        {
            var node = json[key];
            if (node is null)
            {
                return null;
            }

            return node is JsonValue v && v.TryGetValue<bool>(out var b)
                ? b
                : throw new CheckpointException(source, null, $"'{key}' must be true or false, got {node.ToJsonString()}");
        }

        public List<int> IntList(string key)
        {
            var node = json[key];
            if (node is null)
            {
                return [];
            }

            if (node is not JsonArray array)
            {
                throw new CheckpointException(source, null, $"'{key}' must be a list of integers");
            }

            return array.Select(n => n is not null && TryNumber(n, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue
                ? (int)d
                : throw new CheckpointException(source, null, $"'{key}' must be a list of integers")).ToList();
        }

        // JsonValue.TryGetValue<T> only succeeds for the CLR type a value was created with, so go through the JSON text.
        private static bool TryNumber(JsonNode node, out double value)
        {
            value = 0;
            return node.GetValueKind() == JsonValueKind.Number
                && double.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value);
        }

        public List<int> IntOrIntList(string key) =>
            json[key] switch
            {
                null => [],
                JsonArray => IntList(key),
                _ => [OptionalInt(key)!.Value],
            };
    }
}
