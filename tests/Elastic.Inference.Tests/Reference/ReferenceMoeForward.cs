using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Reference;

/// <summary>The router's choice for one token in one sparse layer.</summary>
/// <param name="Experts">Chosen experts, highest probability first.</param>
/// <param name="Weights">The weight applied to each chosen expert's output (renormalised when the config says so).</param>
/// <param name="Probabilities">Softmax over all experts, before top-k; lets a test see how close a choice was.</param>
public sealed record RoutingDecision(int Layer, int Position, int[] Experts, double[] Weights, double[] Probabilities)
{
    /// <summary>Probability gap between the last chosen and the best unchosen expert (infinite when all are chosen).</summary>
    public double Margin
    {
        get
        {
            var unchosen = Probabilities.Where((_, e) => !Experts.Contains(e)).ToList();
            return unchosen.Count == 0 ? double.PositiveInfinity : Probabilities[Experts[^1]] - unchosen.Max();
        }
    }
}

/// <summary>
/// An independent, deliberately plain forward pass (arrays, loops, double accumulation) of the four
/// supported MoE families, written from the Hugging Face transformers modeling files
/// (modeling_mixtral.py, modeling_qwen3_moe.py, modeling_olmoe.py, modeling_qwen2_moe.py). It is the
/// specification the engine's logits are checked against, so it favours readability over speed and
/// shares no code with the engine beyond the config and tensor names.
/// </summary>
public sealed class ReferenceMoeForward
{
    private readonly IReadOnlyDictionary<string, float[]> _weights;

    public ReferenceMoeForward(ModelConfig config, IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (name, shape) in WeightNames.Expected(config))
        {
            if (!weights.TryGetValue(name, out var data))
            {
                throw new ArgumentException($"weight '{name}' is missing", nameof(weights));
            }

            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (data.LongLength != count)
            {
                throw new ArgumentException($"weight '{name}' has {data.Length} elements, expected {count} for shape [{string.Join(", ", shape)}]", nameof(weights));
            }
        }

        Config = config;
        _weights = weights;
    }

    public ModelConfig Config { get; }

    /// <summary>Loads config.json and every tensor of a checkpoint folder.</summary>
    public static ReferenceMoeForward Load(string directory) =>
        new(ModelConfig.Load(directory), TestCheckpoint.ReadAllWeights(directory));

    /// <summary>Causal logits for every position of <paramref name="tokens"/>: [seq][vocab].</summary>
    public float[][] Logits(IReadOnlyList<int> tokens) => Logits(tokens, out _);

    /// <summary>Causal logits, plus every routing decision taken (by layer, then position).</summary>
    public float[][] Logits(IReadOnlyList<int> tokens, out IReadOnlyList<RoutingDecision> routing)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            throw new ArgumentException("at least one token is needed", nameof(tokens));
        }

        var c = Config;
        var n = tokens.Count;
        var decisions = new List<RoutingDecision>();
        var embedding = W(WeightNames.Embedding);

        var x = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var token = tokens[t];
            if (token < 0 || token >= c.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), token, $"token at position {t} is outside the vocabulary of {c.VocabSize}");
            }

            x[t] = new double[c.HiddenSize];
            for (var i = 0; i < c.HiddenSize; i++)
            {
                x[t][i] = embedding[(token * c.HiddenSize) + i];
            }
        }

        for (var layer = 0; layer < c.NumLayers; layer++)
        {
            // Pre-norm residual blocks: x = x + attn(norm(x)); x = x + ffn(norm(x)).
            var normed = x.Select(row => RmsNorm(row, W(WeightNames.InputNorm(layer)), c.RmsNormEps)).ToArray();
            var attention = Attention(layer, normed);
            for (var t = 0; t < n; t++)
            {
                AddInPlace(x[t], attention[t]);
            }

            for (var t = 0; t < n; t++)
            {
                var h = RmsNorm(x[t], W(WeightNames.PostAttentionNorm(layer)), c.RmsNormEps);
                var ffn = c.IsSparseLayer(layer)
                    ? SparseMoe(layer, t, h, decisions)
                    : SwiGlu(WeightNames.DenseMlp(layer), h, c.DenseIntermediateSize);
                AddInPlace(x[t], ffn);
            }
        }

        var head = c.TieWordEmbeddings ? embedding : W(WeightNames.LmHead);
        var logits = new float[n][];
        for (var t = 0; t < n; t++)
        {
            var h = RmsNorm(x[t], W(WeightNames.FinalNorm), c.RmsNormEps);
            logits[t] = Linear(head, h, c.VocabSize).Select(v => (float)v).ToArray();
        }

        routing = decisions;
        return logits;
    }

    /// <summary>RMSNorm as in every family's *RMSNorm: x * rsqrt(mean(x²) + eps) * weight.</summary>
    public static double[] RmsNorm(ReadOnlySpan<double> x, ReadOnlySpan<float> weight, double eps)
    {
        if (x.Length != weight.Length)
        {
            throw new ArgumentException($"vector of {x.Length} but norm weight of {weight.Length}", nameof(weight));
        }

        var sumSquares = 0.0;
        foreach (var v in x)
        {
            sumSquares += v * v;
        }

        var scale = 1.0 / Math.Sqrt((sumSquares / x.Length) + eps);
        var result = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = x[i] * scale * weight[i];
        }

        return result;
    }

    /// <summary>
    /// Rotary embedding of one head vector at <paramref name="position"/>, in the Llama "rotate_half"
    /// layout: dimension i pairs with i + d/2 (not with i + 1), with frequency 1 / theta^(2i/d).
    /// </summary>
    public static double[] Rope(ReadOnlySpan<double> head, int position, double theta)
    {
        var d = head.Length;
        if (d % 2 != 0)
        {
            throw new ArgumentException($"head_dim must be even, got {d}", nameof(head));
        }

        var half = d / 2;
        var result = new double[d];
        for (var i = 0; i < half; i++)
        {
            var invFreq = 1.0 / Math.Pow(theta, 2.0 * i / d);
            var angle = position * invFreq;
            var (sin, cos) = Math.SinCos(angle);
            // q*cos + rotate_half(q)*sin, where rotate_half(q) = cat(-q[half:], q[:half]).
            result[i] = (head[i] * cos) - (head[i + half] * sin);
            result[i + half] = (head[i + half] * cos) + (head[i] * sin);
        }

        return result;
    }

    /// <summary>
    /// Router as in every family's sparse block: softmax over all experts, then top-k (ties go to the
    /// lower expert index), then optional renormalisation of the k weights to sum to one.
    /// </summary>
    public static (int[] Experts, double[] Weights, double[] Probabilities) Route(ReadOnlySpan<double> routerLogits, int topK, bool normalize)
    {
        if (topK <= 0 || topK > routerLogits.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must be in 1..{routerLogits.Length}");
        }

        var probabilities = Softmax(routerLogits);
        // OrderBy is a stable sort, so equal probabilities keep ascending expert order.
        var experts = Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(e => probabilities[e])
            .Take(topK)
            .ToArray();
        var weights = experts.Select(e => probabilities[e]).ToArray();
        if (normalize)
        {
            var sum = weights.Sum();
            for (var k = 0; k < weights.Length; k++)
            {
                weights[k] /= sum;
            }
        }

        return (experts, weights, probabilities);
    }

    public static double Silu(double v) => v / (1.0 + Math.Exp(-v));

    public static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));

    public static double[] Softmax(ReadOnlySpan<double> values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }

        var result = new double[values.Length];
        var sum = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = Math.Exp(values[i] - max);
            sum += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }

    /// <summary>y = W x for a row-major [outFeatures, x.Length] weight, as nn.Linear without bias.</summary>
    public static double[] Linear(ReadOnlySpan<float> weight, ReadOnlySpan<double> x, int outFeatures)
    {
        if (weight.Length != outFeatures * x.Length)
        {
            throw new ArgumentException($"weight of {weight.Length} elements is not [{outFeatures}, {x.Length}]", nameof(weight));
        }

        var y = new double[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            var row = weight.Slice(o * x.Length, x.Length);
            var acc = 0.0;
            for (var i = 0; i < x.Length; i++)
            {
                acc += row[i] * x[i];
            }

            y[o] = acc;
        }

        return y;
    }

    private double[][] Attention(int layer, double[][] hidden)
    {
        var c = Config;
        var n = hidden.Length;
        var d = c.HeadDim;
        var q = new double[n][];
        var k = new double[n][];
        var v = new double[n][];
        for (var t = 0; t < n; t++)
        {
            q[t] = Linear(W(WeightNames.Attention(layer, "q_proj.weight")), hidden[t], c.QProjSize);
            k[t] = Linear(W(WeightNames.Attention(layer, "k_proj.weight")), hidden[t], c.KvProjSize);
            v[t] = Linear(W(WeightNames.Attention(layer, "v_proj.weight")), hidden[t], c.KvProjSize);
            if (c.QkvBias)
            {
                AddInPlace(q[t], W(WeightNames.Attention(layer, "q_proj.bias")));
                AddInPlace(k[t], W(WeightNames.Attention(layer, "k_proj.bias")));
                AddInPlace(v[t], W(WeightNames.Attention(layer, "v_proj.bias")));
            }

            switch (c.QkNorm)
            {
                case QkNorm.FullProjection:
                    // OLMoE normalises the whole projection (all heads at once) before splitting into heads.
                    q[t] = RmsNorm(q[t], W(WeightNames.Attention(layer, "q_norm.weight")), c.RmsNormEps);
                    k[t] = RmsNorm(k[t], W(WeightNames.Attention(layer, "k_norm.weight")), c.RmsNormEps);
                    break;
                case QkNorm.PerHead:
                    // Qwen3 normalises each head's head_dim slice with one shared weight vector.
                    q[t] = MapHeads(q[t], d, h => RmsNorm(h, W(WeightNames.Attention(layer, "q_norm.weight")), c.RmsNormEps));
                    k[t] = MapHeads(k[t], d, h => RmsNorm(h, W(WeightNames.Attention(layer, "k_norm.weight")), c.RmsNormEps));
                    break;
                case QkNorm.None:
                    break;
            }

            var position = t;
            q[t] = MapHeads(q[t], d, h => Rope(h, position, c.RopeTheta));
            k[t] = MapHeads(k[t], d, h => Rope(h, position, c.RopeTheta));
        }

        var groupSize = c.NumHeads / c.NumKvHeads;
        var scale = 1.0 / Math.Sqrt(d);
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var concatenated = new double[c.QProjSize];
            for (var head = 0; head < c.NumHeads; head++)
            {
                // repeat_kv: query head h reads kv head h / (heads / kv_heads).
                var kvHead = head / groupSize;
                var scores = new double[t + 1];
                for (var s = 0; s <= t; s++)
                {
                    var dot = 0.0;
                    for (var j = 0; j < d; j++)
                    {
                        dot += q[t][(head * d) + j] * k[s][(kvHead * d) + j];
                    }

                    scores[s] = dot * scale;
                }

                // Causal: position t attends to 0..t only, so later tokens never change earlier outputs.
                var p = Softmax(scores);
                for (var j = 0; j < d; j++)
                {
                    var acc = 0.0;
                    for (var s = 0; s <= t; s++)
                    {
                        acc += p[s] * v[s][(kvHead * d) + j];
                    }

                    concatenated[(head * d) + j] = acc;
                }
            }

            output[t] = Linear(W(WeightNames.Attention(layer, "o_proj.weight")), concatenated, c.HiddenSize);
        }

        return output;
    }

    private double[] SparseMoe(int layer, int position, double[] h, List<RoutingDecision> decisions)
    {
        var c = Config;
        var routerLogits = Linear(W(WeightNames.Router(c, layer)), h, c.NumExperts);
        var (experts, weights, probabilities) = Route(routerLogits, c.NumExpertsPerToken, c.NormTopKProb);
        decisions.Add(new RoutingDecision(layer, position, experts, weights, probabilities));

        var result = new double[c.HiddenSize];
        for (var k = 0; k < experts.Length; k++)
        {
            var expertOut = SwiGlu(WeightNames.Expert(c, layer, experts[k]), h, c.ExpertIntermediateSize);
            for (var i = 0; i < result.Length; i++)
            {
                result[i] += weights[k] * expertOut[i];
            }
        }

        if (c.SharedExpertIntermediateSize > 0)
        {
            // Qwen2-MoE: an always-on expert, scaled by its own scalar sigmoid gate.
            var shared = SwiGlu(WeightNames.SharedExpert(layer), h, c.SharedExpertIntermediateSize);
            var gate = Sigmoid(Linear(W(WeightNames.SharedExpertGate(layer)), h, 1)[0]);
            for (var i = 0; i < result.Length; i++)
            {
                result[i] += gate * shared[i];
            }
        }

        return result;
    }

    /// <summary>down(silu(gate x) * up x); Mixtral's w1/w3/w2 are gate/up/down.</summary>
    private double[] SwiGlu((string Gate, string Up, string Down) names, double[] h, int intermediate)
    {
        var gate = Linear(W(names.Gate), h, intermediate);
        var up = Linear(W(names.Up), h, intermediate);
        var inner = new double[intermediate];
        for (var i = 0; i < intermediate; i++)
        {
            inner[i] = Silu(gate[i]) * up[i];
        }

        return Linear(W(names.Down), inner, Config.HiddenSize);
    }

    private static double[] MapHeads(double[] projection, int headDim, Func<double[], double[]> perHead)
    {
        var result = new double[projection.Length];
        for (var start = 0; start < projection.Length; start += headDim)
        {
            perHead(projection[start..(start + headDim)]).CopyTo(result, start);
        }

        return result;
    }

    private static void AddInPlace(double[] target, ReadOnlySpan<double> addend)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += addend[i];
        }
    }

    private static void AddInPlace(double[] target, ReadOnlySpan<float> addend)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += addend[i];
        }
    }

    private float[] W(string name) => _weights[name];
}
