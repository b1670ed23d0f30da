using System.Text.Json.Nodes;
using Elastic.Inference.Configuration;

namespace Elastic.Cli.Bench;

/// <summary>The model shapes the engine benchmark runs, with random weights (Mixtral layout).</summary>
internal static class BenchModels
{
    public static IReadOnlyList<string> Names { get; } = ["small", "bench-M", "bench-M8"];

    /// <summary>True when <paramref name="name"/> is a checkpoint folder (benchmarked with its own weights) rather than a shape.</summary>
    public static bool IsCheckpoint(string name) => File.Exists(Path.Combine(name, "config.json"));

    /// <summary>
    /// small: the per-step overhead regime; bench-M: ~0.64 B parameters, 16 experts (the shape of
    /// ../shared/notes/cpu-anchors.md, where llama.cpp was measured), the bandwidth regime; bench-M8: ~0.64 B parameters
    /// in Mixtral's proportions, 8 larger experts, so a batch re-reads each expert for twice the rows.
    /// </summary>
    public static ModelConfig Get(string name) => ModelConfig.Parse(ConfigJson(name));

    /// <summary>The shape's Hugging Face config.json; <paramref name="vocab"/> overrides its vocabulary size.</summary>
    public static JsonObject ConfigJson(string name, int? vocab = null) => name switch
    {
        "small" => Mixtral(vocab ?? 512, hidden: 256, layers: 4, experts: 8, ffn: 512, heads: 8, kvHeads: 4),
        "bench-M" => Mixtral(vocab ?? 32000, hidden: 1024, layers: 8, experts: 16, ffn: 1408, heads: 16, kvHeads: 4),
        "bench-M8" => Mixtral(vocab ?? 32000, hidden: 1024, layers: 8, experts: 8, ffn: 2816, heads: 16, kvHeads: 4),
        _ => throw new ArgumentException($"unknown benchmark model '{name}'; choose one of: {string.Join(", ", Names)}, or a checkpoint folder (with config.json)", nameof(name)),
    };

    private static JsonObject Mixtral(int vocab, int hidden, int layers, int experts, int ffn, int heads, int kvHeads) =>
        new JsonObject
        {
            ["model_type"] = "mixtral",
            ["vocab_size"] = vocab,
            ["hidden_size"] = hidden,
            ["intermediate_size"] = ffn,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = heads,
            ["num_key_value_heads"] = kvHeads,
            ["num_local_experts"] = experts,
            ["num_experts_per_tok"] = 2,
            ["max_position_embeddings"] = 2048,
            ["rope_theta"] = 1e6,
            ["rms_norm_eps"] = 1e-5,
            ["tie_word_embeddings"] = false,
        };

    /// <summary>Weight bytes read to decode one token at batch 1: everything but inactive experts and the embedding table.</summary>
    public static long ActiveBytesPerToken(ModelConfig c) => (long)WeightBytesPerStep(c, 1);

    /// <summary>
    /// Weight bytes a decode step of <paramref name="batch"/> sequences reads, with the router spreading tokens
    /// uniformly: each expert is hit unless all of the batch's top-k picks miss it, 1 − (1 − k/E)^batch.
    /// At batch 32 with top-2 of 16 experts that is 98.6 % of them, so the step streams nearly all weights.
    /// </summary>
    public static double WeightBytesPerStep(ModelConfig c, int batch)
    {
        long h = c.HiddenSize;
        long perLayer = (h * (c.QProjSize + (2L * c.KvProjSize))) + (c.QProjSize * h) + (2 * h);
        var sparse = Enumerable.Range(0, c.NumLayers).Count(c.IsSparseLayer);
        var hit = batch == 1 ? c.NumExpertsPerToken : c.NumExperts * (1 - Math.Pow(1 - ((double)c.NumExpertsPerToken / c.NumExperts), batch));
        var experts = sparse * ((c.NumExperts * h) + (hit * 3.0 * h * c.ExpertIntermediateSize));
        long dense = (c.NumLayers - sparse) * 3L * h * c.DenseIntermediateSize;
        long head = (long)c.VocabSize * h;
        return ((c.NumLayers * perLayer) + experts + dense + head + h) * sizeof(float);
    }

    /// <summary>
    /// What batching can buy at most on this machine: the batch's ceiling over the batch-1 roofline, i.e. the
    /// throughput gain of a perfect engine (batch 1 at full bandwidth, the batch at its ceiling). While memory decides
    /// the ceiling this is batch × active bytes ÷ the step's bytes, a property of the shape alone (bench-M at 32: ~6.6).
    /// </summary>
    public static double IdealBatchGain(ModelConfig c, int batch, double bandwidthGBps, double computeGFlops) =>
        CeilingTokensPerSecond(c, batch, bandwidthGBps, computeGFlops) / RooflineTokensPerSecond(c, bandwidthGBps);

    /// <summary>The batch-1 decode roofline: one token's active weight bytes streamed at the measured bandwidth.</summary>
    public static double RooflineTokensPerSecond(ModelConfig c, double bandwidthGBps) => bandwidthGBps * 1e9 / ActiveBytesPerToken(c);

    /// <summary>
    /// The most decode tokens/s a batch can reach on this machine: the lower of its compute limit (2 FLOP per active
    /// parameter per token) and its memory limit (the step's weight bytes at the measured bandwidth, shared by the batch).
    /// </summary>
    public static double CeilingTokensPerSecond(ModelConfig c, int batch, double bandwidthGBps, double computeGFlops)
    {
        var compute = computeGFlops * 1e9 / (2.0 * ActiveBytesPerToken(c) / sizeof(float));
        var memory = bandwidthGBps * 1e9 * batch / WeightBytesPerStep(c, batch);
        return Math.Min(compute, memory);
    }

    public static long TotalParameters(ModelConfig c) =>
        Inference.Checkpoints.WeightNames.Expected(c).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
}
