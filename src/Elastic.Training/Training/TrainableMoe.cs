using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Elastic.Training.Training;

/// <summary>
/// The Mixtral-layout MoE with autograd, for training. Its math is the inference engine's (RMSNorm,
/// rotate-half RoPE, GQA, softmax→top-k→renormalise routing, SwiGLU experts); parameters export under
/// Hugging Face names so the result loads through the same loader as any downloaded checkpoint.
/// </summary>
internal sealed class TrainableMoe : nn.Module<Tensor, (Tensor Logits, Tensor AuxLoss)>
{
    private readonly ModelConfig _config;
    private readonly Embedding _embed;
    private readonly ModuleList<TrainableBlock> _layers;
    private readonly Parameter _norm;
    private readonly Linear _lmHead;
    private readonly Tensor _cos;
    private readonly Tensor _sin;

    public TrainableMoe(ModelConfig config, long seed)
        : base("moe")
    {
        if (config.Family != ModelFamily.Mixtral || config.DenseLayers.Count > 0 || config.QkvBias || config.TieWordEmbeddings)
        {
            throw new ArgumentException("the trainer builds untied Mixtral-layout models with every layer sparse", nameof(config));
        }

        _config = config;
        torch.manual_seed(seed);
        _embed = nn.Embedding(config.VocabSize, config.HiddenSize);
        _layers = new ModuleList<TrainableBlock>([.. Enumerable.Range(0, config.NumLayers).Select(l => new TrainableBlock(config, l))]);
        _norm = new Parameter(torch.ones(config.HiddenSize));
        _lmHead = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        using (torch.no_grad())
        {
            foreach (var (name, p) in named_parameters())
            {
                if (p.dim() == 2)
                {
                    nn.init.normal_(p, 0, 0.02);
                }
            }
        }

        (_cos, _sin) = RopeTables(config);
        RegisterComponents();
    }

    public ModelConfig Config => _config;

    /// <summary>tokens [B, T] → logits [B, T, V] and the mean load-balancing loss over layers.</summary>
    public override (Tensor Logits, Tensor AuxLoss) forward(Tensor tokens)
    {
        var t = tokens.shape[1];
        var cos = _cos.narrow(0, 0, t);
        var sin = _sin.narrow(0, 0, t);
        var x = _embed.forward(tokens);
        var aux = torch.zeros(1);
        foreach (var layer in _layers)
        {
            (x, var layerAux) = layer.Forward(x, cos, sin);
            aux = aux + layerAux;
        }

        var h = RmsNorm(x, _norm, _config.RmsNormEps);
        return (_lmHead.forward(h), aux / _config.NumLayers);
    }

    /// <summary>Every parameter under its Hugging Face name.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedWeights()
    {
        yield return (WeightNames.Embedding, _embed.weight!);
        yield return (WeightNames.FinalNorm, _norm);
        yield return (WeightNames.LmHead, _lmHead.weight!);
        foreach (var layer in _layers)
        {
            foreach (var named in layer.Named())
            {
                yield return named;
            }
        }
    }

    /// <summary>Every parameter under its Hugging Face name, as [shape, fp32 data].</summary>
    public IEnumerable<(string Name, long[] Shape, float[] Data)> ExportWeights() =>
        NamedWeights().Select(w => Export(w.Name, w.Tensor));

    internal static Tensor RmsNorm(Tensor x, Tensor weight, float eps) =>
        x * (x.square().mean([-1L], keepdim: true) + eps).rsqrt() * weight;

    private static (string, long[], float[]) Export(string name, Tensor tensor)
    {
        // TensorCopy makes a non-contiguous tensor contiguous itself.
        using var detached = tensor.detach();
        return (name, detached.shape, TensorCopy.ToArray<float>(detached));
    }

    private static (Tensor Cos, Tensor Sin) RopeTables(ModelConfig c)
    {
        var d = c.HeadDim;
        var half = d / 2;
        var cos = new float[c.MaxPositionEmbeddings * d];
        var sin = new float[c.MaxPositionEmbeddings * d];
        for (var i = 0; i < half; i++)
        {
            var invFreq = (float)(1.0 / Math.Pow(c.RopeTheta, 2.0 * i / d));
            for (var p = 0; p < c.MaxPositionEmbeddings; p++)
            {
                var angle = p * invFreq;
                cos[(p * d) + i] = cos[(p * d) + i + half] = MathF.Cos(angle);
                sin[(p * d) + i] = sin[(p * d) + i + half] = MathF.Sin(angle);
            }
        }

        return (torch.tensor(cos, [c.MaxPositionEmbeddings, d]), torch.tensor(sin, [c.MaxPositionEmbeddings, d]));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cos.Dispose();
            _sin.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>One decoder block with its experts, trainable.</summary>
internal sealed class TrainableBlock : nn.Module
{
    private readonly ModelConfig _c;
    private readonly int _index;
    private readonly Parameter _inputNorm;
    private readonly Parameter _postNorm;
    private readonly Linear _q;
    private readonly Linear _k;
    private readonly Linear _v;
    private readonly Linear _o;
    private readonly Linear _router;
    private readonly ModuleList<Linear> _gate;
    private readonly ModuleList<Linear> _up;
    private readonly ModuleList<Linear> _down;

    public TrainableBlock(ModelConfig c, int index)
        : base($"layer{index}")
    {
        _c = c;
        _index = index;
        _inputNorm = new Parameter(torch.ones(c.HiddenSize));
        _postNorm = new Parameter(torch.ones(c.HiddenSize));
        _q = nn.Linear(c.HiddenSize, c.QProjSize, hasBias: false);
        _k = nn.Linear(c.HiddenSize, c.KvProjSize, hasBias: false);
        _v = nn.Linear(c.HiddenSize, c.KvProjSize, hasBias: false);
        _o = nn.Linear(c.QProjSize, c.HiddenSize, hasBias: false);
        _router = nn.Linear(c.HiddenSize, c.NumExperts, hasBias: false);
        _gate = new ModuleList<Linear>([.. Enumerable.Range(0, c.NumExperts).Select(_ => nn.Linear(c.HiddenSize, c.ExpertIntermediateSize, hasBias: false))]);
        _up = new ModuleList<Linear>([.. Enumerable.Range(0, c.NumExperts).Select(_ => nn.Linear(c.HiddenSize, c.ExpertIntermediateSize, hasBias: false))]);
        _down = new ModuleList<Linear>([.. Enumerable.Range(0, c.NumExperts).Select(_ => nn.Linear(c.ExpertIntermediateSize, c.HiddenSize, hasBias: false))]);
        RegisterComponents();
    }

    public (Tensor X, Tensor Aux) Forward(Tensor x, Tensor cos, Tensor sin)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        var h = TrainableMoe.RmsNorm(x, _inputNorm, _c.RmsNormEps);
        var q = Rope(_q.forward(h).view(b, t, _c.NumHeads, _c.HeadDim).transpose(1, 2), cos, sin);
        var k = Rope(_k.forward(h).view(b, t, _c.NumKvHeads, _c.HeadDim).transpose(1, 2), cos, sin);
        var v = _v.forward(h).view(b, t, _c.NumKvHeads, _c.HeadDim).transpose(1, 2);
        var groups = _c.NumHeads / _c.NumKvHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }

        var attention = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        x = x + _o.forward(attention.transpose(1, 2).reshape(b, t, _c.QProjSize));

        var flat = TrainableMoe.RmsNorm(x, _postNorm, _c.RmsNormEps).reshape(b * t, _c.HiddenSize);
        var (moe, aux) = Experts(flat);
        return (x + moe.view(b, t, _c.HiddenSize), aux);
    }

    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        var l = _index;
        yield return (WeightNames.InputNorm(l), _inputNorm);
        yield return (WeightNames.PostAttentionNorm(l), _postNorm);
        yield return (WeightNames.Attention(l, "q_proj.weight"), _q.weight!);
        yield return (WeightNames.Attention(l, "k_proj.weight"), _k.weight!);
        yield return (WeightNames.Attention(l, "v_proj.weight"), _v.weight!);
        yield return (WeightNames.Attention(l, "o_proj.weight"), _o.weight!);
        yield return (WeightNames.Router(_c, l), _router.weight!);
        for (var e = 0; e < _c.NumExperts; e++)
        {
            var (gate, up, down) = WeightNames.Expert(_c, l, e);
            yield return (gate, _gate[e].weight!);
            yield return (up, _up[e].weight!);
            yield return (down, _down[e].weight!);
        }
    }

    /// <summary>Top-k routed SwiGLU experts, each run once on all its rows, plus the Switch/Mixtral load-balancing loss.</summary>
    private (Tensor Output, Tensor Aux) Experts(Tensor h)
    {
        var rows = h.shape[0];
        var probs = nn.functional.softmax(_router.forward(h), 1);
        var (weights, ids) = probs.topk(_c.NumExpertsPerToken, dim: 1);
        weights = weights / weights.sum([1L], keepdim: true);
        var routing = ExpertRouting.Create(_index, _c.NumExperts, _c.NumExpertsPerToken, ids.data<long>().ToArray(), new float[rows * _c.NumExpertsPerToken]);
        var flatWeights = weights.reshape(-1);
        var output = torch.zeros_like(h);
        var counts = new float[_c.NumExperts];
        var slots = ids.data<long>().ToArray();
        foreach (var group in routing.Groups)
        {
            var e = group.Expert.Expert;
            counts[e] = group.Rows.Length;
            var rowIndex = torch.tensor(group.Rows);
            var flatIndex = torch.tensor(group.Rows.Select(r => (r * _c.NumExpertsPerToken) + SlotOf(slots, r, e)).ToArray());
            var x = h.index_select(0, rowIndex);
            var y = _down[e].forward(nn.functional.silu(_gate[e].forward(x)) * _up[e].forward(x));
            output = output.index_add(0, rowIndex, y * flatWeights.index_select(0, flatIndex).unsqueeze(1), 1);
        }

        var fraction = torch.tensor(counts) / rows;
        var aux = (fraction * probs.mean([0L])).sum() * _c.NumExperts;
        return (output, aux);
    }

    private long SlotOf(long[] ids, long row, int expert)
    {
        var k = _c.NumExpertsPerToken;
        for (var s = 0; s < k; s++)
        {
            if (ids[(row * k) + s] == expert)
            {
                return s;
            }
        }

        throw new InvalidOperationException($"row {row} is not routed to expert {expert}");
    }

    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = torch.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos) + (rotated * sin);
    }
}
