using Elastic.Inference.Configuration;

namespace Elastic.Inference.Checkpoints;

/// <summary>The tensor names each family uses in Hugging Face checkpoints, with their expected shapes.</summary>
public static class WeightNames
{
    public const string Embedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    public static string Layer(int layer) => $"model.layers.{layer}.";

    public static string InputNorm(int layer) => Layer(layer) + "input_layernorm.weight";

    public static string PostAttentionNorm(int layer) => Layer(layer) + "post_attention_layernorm.weight";

    public static string Attention(int layer, string part) => Layer(layer) + $"self_attn.{part}";

    /// <summary>The router (gate) weight of a sparse layer: [num_experts, hidden].</summary>
    public static string Router(ModelConfig config, int layer) =>
        Layer(layer) + (config.Family == ModelFamily.Mixtral ? "block_sparse_moe.gate.weight" : "mlp.gate.weight");

    /// <summary>Names of one routed expert's gate ([ffn, hidden]), up ([ffn, hidden]) and down ([hidden, ffn]) projections.</summary>
    public static (string Gate, string Up, string Down) Expert(ModelConfig config, int layer, int expert)
    {
        if (config.Family == ModelFamily.Mixtral)
        {
            var p = Layer(layer) + $"block_sparse_moe.experts.{expert}.";
            return (p + "w1.weight", p + "w3.weight", p + "w2.weight");
        }

        var q = Layer(layer) + $"mlp.experts.{expert}.";
        return (q + "gate_proj.weight", q + "up_proj.weight", q + "down_proj.weight");
    }

    public static (string Gate, string Up, string Down) DenseMlp(int layer)
    {
        var p = Layer(layer) + "mlp.";
        return (p + "gate_proj.weight", p + "up_proj.weight", p + "down_proj.weight");
    }

    public static (string Gate, string Up, string Down) SharedExpert(int layer)
    {
        var p = Layer(layer) + "mlp.shared_expert.";
        return (p + "gate_proj.weight", p + "up_proj.weight", p + "down_proj.weight");
    }

    public static string SharedExpertGate(int layer) => Layer(layer) + "mlp.shared_expert_gate.weight";

    /// <summary>Every tensor a checkpoint of this configuration must hold, with its shape.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Expected(ModelConfig c)
    {
        long h = c.HiddenSize;
        var list = new List<(string, long[])> { (Embedding, [c.VocabSize, h]), (FinalNorm, [h]) };
        if (!c.TieWordEmbeddings)
        {
            list.Add((LmHead, [c.VocabSize, h]));
        }

        for (var l = 0; l < c.NumLayers; l++)
        {
            list.Add((InputNorm(l), [h]));
            list.Add((PostAttentionNorm(l), [h]));
            list.Add((Attention(l, "q_proj.weight"), [c.QProjSize, h]));
            list.Add((Attention(l, "k_proj.weight"), [c.KvProjSize, h]));
            list.Add((Attention(l, "v_proj.weight"), [c.KvProjSize, h]));
            list.Add((Attention(l, "o_proj.weight"), [h, c.QProjSize]));
            if (c.QkvBias)
            {
                list.Add((Attention(l, "q_proj.bias"), [c.QProjSize]));
                list.Add((Attention(l, "k_proj.bias"), [c.KvProjSize]));
                list.Add((Attention(l, "v_proj.bias"), [c.KvProjSize]));
            }

            switch (c.QkNorm)
            {
                case QkNorm.PerHead:
                    list.Add((Attention(l, "q_norm.weight"), [c.HeadDim]));
                    list.Add((Attention(l, "k_norm.weight"), [c.HeadDim]));
                    break;
                case QkNorm.FullProjection:
                    list.Add((Attention(l, "q_norm.weight"), [c.QProjSize]));
                    list.Add((Attention(l, "k_norm.weight"), [c.KvProjSize]));
                    break;
            }

            if (!c.IsSparseLayer(l))
            {
                AddFfn(list, DenseMlp(l), h, c.DenseIntermediateSize);
                continue;
            }

            list.Add((Router(c, l), [c.NumExperts, h]));
            for (var e = 0; e < c.NumExperts; e++)
            {
                AddFfn(list, Expert(c, l, e), h, c.ExpertIntermediateSize);
            }

            if (c.SharedExpertIntermediateSize > 0)
            {
                AddFfn(list, SharedExpert(l), h, c.SharedExpertIntermediateSize);
                list.Add((SharedExpertGate(l), [1, h]));
            }
        }

        return list;
    }

    private static void AddFfn(List<(string, long[])> list, (string Gate, string Up, string Down) names, long hidden, long ffn)
    {
        list.Add((names.Gate, [ffn, hidden]));
        list.Add((names.Up, [ffn, hidden]));
        list.Add((names.Down, [hidden, ffn]));
    }
}
