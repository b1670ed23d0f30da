using Elastic.Inference.Caching;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Experts;
using Elastic.Inference.Tracing;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>One transformer block: attention with its KV cache, then a dense or MoE feed-forward.</summary>
internal sealed class DecoderLayer : IDisposable
{
    private readonly ModelConfig _config;
    private readonly int _index;
    private readonly Tensor _inputNorm;
    private readonly Tensor _postNorm;
    private readonly PanelWeight _qkv;
    private readonly Tensor? _qkvBias;
    private readonly PanelWeight _o;
    private readonly Tensor? _qNorm;
    private readonly Tensor? _kNorm;

    // Dense MLP (non-sparse layers) or shared expert (Qwen2-MoE).
    private readonly PanelSwiGlu? _ffn;
    private readonly PanelWeight? _router;
    private readonly PanelWeight? _sharedGate;
    private readonly float _scale;

    private DecoderLayer(ModelConfig config, int index, Dictionary<string, Tensor> w, Dictionary<string, IDisposable> packed)
    {
        _config = config;
        _index = index;
        _inputNorm = w["in"];
        _postNorm = w["post"];
        _qkv = (PanelWeight)packed["qkv"];
        _qkvBias = w.GetValueOrDefault("qkv_bias");
        _o = (PanelWeight)packed["o"];
        _qNorm = w.GetValueOrDefault("q_norm");
        _kNorm = w.GetValueOrDefault("k_norm");
        _ffn = packed.GetValueOrDefault("ffn") as PanelSwiGlu;
        _router = packed.GetValueOrDefault("router") as PanelWeight;
        _sharedGate = packed.GetValueOrDefault("shared_gate") as PanelWeight;
        _scale = 1f / MathF.Sqrt(config.HeadDim);
    }

    public bool IsSparse => _router is not null;

    public static DecoderLayer Load(IWeightSource reader, int layer)
    {
        var c = reader.Config;
        var w = new Dictionary<string, Tensor>();
        var packed = new Dictionary<string, IDisposable>();
        try
        {
            w["in"] = reader.Load(WeightNames.InputNorm(layer));
            w["post"] = reader.Load(WeightNames.PostAttentionNorm(layer));
            w["qkv"] = reader.LoadConcatenated(WeightNames.Attention(layer, "q_proj.weight"), WeightNames.Attention(layer, "k_proj.weight"), WeightNames.Attention(layer, "v_proj.weight"));
            if (c.QkvBias)
            {
                w["qkv_bias"] = reader.LoadConcatenated(WeightNames.Attention(layer, "q_proj.bias"), WeightNames.Attention(layer, "k_proj.bias"), WeightNames.Attention(layer, "v_proj.bias"));
            }

            w["o"] = reader.Load(WeightNames.Attention(layer, "o_proj.weight"));
            if (c.QkNorm != QkNorm.None)
            {
                w["q_norm"] = reader.Load(WeightNames.Attention(layer, "q_norm.weight"));
                w["k_norm"] = reader.Load(WeightNames.Attention(layer, "k_norm.weight"));
            }

            if (!c.IsSparseLayer(layer))
            {
                var (g, u, d) = WeightNames.DenseMlp(layer);
                w["ffn_gate_up"] = reader.LoadConcatenated(g, u);
                w["ffn_down"] = reader.Load(d);
            }
            else
            {
                w["router"] = reader.Load(WeightNames.Router(c, layer));
                if (c.SharedExpertIntermediateSize > 0)
                {
                    var (g, u, d) = WeightNames.SharedExpert(layer);
                    w["ffn_gate_up"] = reader.LoadConcatenated(g, u);
                    w["ffn_down"] = reader.Load(d);
                    w["shared_gate"] = reader.Load(WeightNames.SharedExpertGate(layer));
                }
            }

            // The matrices are packed for the engine's linear kernel and their tensors dropped; norms and biases stay.
            foreach (var name in new[] { "qkv", "o", "router", "shared_gate" })
            {
                if (w.Remove(name, out var matrix))
                {
                    using (matrix)
                    {
                        packed[name] = PanelWeight.Pack(matrix);
                    }
                }
            }

            w.Remove("ffn_gate_up", out var gateUp);
            w.Remove("ffn_down", out var down);
            using (gateUp)
            using (down)
            {
                if (gateUp is not null && down is not null)
                {
                    packed["ffn"] = PanelSwiGlu.Pack(gateUp, down);
                }
            }

            return new DecoderLayer(c, layer, w, packed);
        }
        catch
        {
            foreach (var t in w.Values)
            {
                t.Dispose();
            }

            foreach (var p in packed.Values)
            {
                p.Dispose();
            }

            throw;
        }
    }

    public long Bytes =>
        (new[] { _inputNorm, _postNorm, _qkvBias, _qNorm, _kNorm }.Where(t => t is not null).Sum(t => t!.numel()) * sizeof(float))
        + _qkv.Bytes + _o.Bytes + (_ffn?.Bytes ?? 0) + (_router?.Bytes ?? 0) + (_sharedGate?.Bytes ?? 0);

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, IReadOnlyList<ForwardChunk> chunks, IExpertExecutor experts, StepTrace trace)
    {
        var c = _config;
        var rows = x.size(0);
        var h = TensorMath.RmsNorm(x, _inputNorm, c.RmsNormEps);
        StepPhaseRecorder.Mark(StepPhase.InputNorm);
        var qkv = PanelLinear.Forward(h, _qkv, _qkvBias);
        StepPhaseRecorder.Mark(StepPhase.QkvProjection);
        Tensor attention;
        if (c.ClipQkv is null && c.QkNorm == QkNorm.None && AllShort(chunks)
            && RotaryEmbedding.RotatesInPlace(qkv, c.QProjSize + (2L * c.KvProjSize), cos, sin, c.HeadDim))
        {
            // A decode step (or short prompt chunks): rotate q and k where the projection wrote them and attend
            // from there; the general path below narrows, reshapes and copies q, k and v apart first.
            RotaryEmbedding.RotateInPlace(qkv, c.NumHeads + c.NumKvHeads, c.HeadDim, cos, sin);
            StepPhaseRecorder.Mark(StepPhase.Rotary);
            attention = torch.empty(rows, c.QProjSize);
            DecodeAttention.RunOnProjection(qkv, attention, ShortChunks(chunks), _index, c.NumHeads, c.NumKvHeads, c.HeadDim, _scale);
        }
        else
        {
            var rotated = Rotated(qkv, rows, cos, sin);
            StepPhaseRecorder.Mark(StepPhase.Rotary);
            attention = Attend(rotated, chunks);
        }

        StepPhaseRecorder.Mark(StepPhase.Attention);

        // x is this step's own residual stream (the gathered embeddings, then this method's result): added to in place.
        RowKernels.AddInPlace(x, PanelLinear.Forward(attention, _o));
        StepPhaseRecorder.Mark(StepPhase.OutputProjection);
        h = TensorMath.RmsNorm(x, _postNorm, c.RmsNormEps);
        StepPhaseRecorder.Mark(StepPhase.PostAttentionNorm);
        var ffn = FeedForward(h, experts, trace);
        StepPhaseRecorder.Mark(StepPhase.FeedForward);
        RowKernels.AddInPlace(x, ffn);
        StepPhaseRecorder.Mark(StepPhase.Residual);
        return x;
    }

    // q, k and v of the projection as [rows, heads, d] tensors, clipped and normalised as configured, q and k rotated.
    private (Tensor Q, Tensor K, Tensor V) Rotated(Tensor qkv, long rows, Tensor cos, Tensor sin)
    {
        var c = _config;
        if (c.ClipQkv is { } clip)
        {
            using var low = (-clip).ToScalar();
            using var high = clip.ToScalar();
            qkv = qkv.clamp(low, high);
        }

        var q = qkv.narrow(1, 0, c.QProjSize);
        var k = qkv.narrow(1, c.QProjSize, c.KvProjSize);
        var v = qkv.narrow(1, c.QProjSize + c.KvProjSize, c.KvProjSize);
        if (c.QkNorm == QkNorm.FullProjection)
        {
            q = TensorMath.RmsNorm(q, _qNorm!, c.RmsNormEps);
            k = TensorMath.RmsNorm(k, _kNorm!, c.RmsNormEps);
        }

        q = q.reshape(rows, c.NumHeads, c.HeadDim);
        k = k.reshape(rows, c.NumKvHeads, c.HeadDim);
        v = v.reshape(rows, c.NumKvHeads, c.HeadDim);
        if (c.QkNorm == QkNorm.PerHead)
        {
            q = TensorMath.RmsNorm(q, _qNorm!, c.RmsNormEps);
            k = TensorMath.RmsNorm(k, _kNorm!, c.RmsNormEps);
        }

        return (RotaryEmbedding.Apply(q, cos, sin), RotaryEmbedding.Apply(k, cos, sin), v);
    }

    private static bool AllShort(IReadOnlyList<ForwardChunk> chunks)
    {
        for (var i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].Tokens.Length > DecodeAttention.MaxChunkTokens)
            {
                return false;
            }
        }

        return true;
    }

    private static List<(int Row, int Count, SequenceKvCache Cache)> ShortChunks(IReadOnlyList<ForwardChunk> chunks)
    {
        var result = new List<(int Row, int Count, SequenceKvCache Cache)>(chunks.Count);
        var offset = 0;
        foreach (var chunk in chunks)
        {
            result.Add((offset, chunk.Tokens.Length, chunk.Cache));
            offset += chunk.Tokens.Length;
        }

        return result;
    }

    private Tensor FeedForward(Tensor h, IExpertExecutor experts, StepTrace trace)
    {
        if (_router is null)
        {
            return _ffn!.Forward(h);
        }

        var c = _config;
        var logits = RouterLogits(h);
        var routing = ExpertRouting.FromRouterLogits(_index, c.NumExperts, c.NumExpertsPerToken, c.NormTopKProb, logits);
        trace.OnLayerRouted(routing);
        StepPhaseRecorder.Mark(StepPhase.Routing);
        var output = experts.Execute(h, routing);
        if (_sharedGate is not null)
        {
            output = TensorMath.Add(output, nn.functional.sigmoid(PanelLinear.Forward(h, _sharedGate)) * _ffn!.Forward(h));
        }

        return output;
    }

    // [rows × experts] router logits straight into an array: no output tensor and no copy out of it.
    private unsafe float[] RouterLogits(Tensor h)
    {
        var input = RowKernels.Fp32Rows(h, _router!.Inputs, "router");
        var rows = (int)input.size(0);
        var logits = new float[rows * _router.Outputs];
        fixed (float* y = logits)
        {
            PanelLinear.Compute(_router, TensorData.Floats(input), y, rows);
        }

        GC.KeepAlive(input);
        return logits;
    }

    /// <summary>Causal grouped-query attention per chunk, against the chunk's KV cache.</summary>
    private Tensor Attend((Tensor Q, Tensor K, Tensor V) qkv, IReadOnlyList<ForwardChunk> chunks)
    {
        var (q, k, v) = qkv;
        var c = _config;
        var rows = q.size(0);
        var output = torch.empty(rows, c.QProjSize);
        var shortChunks = new List<(int Row, int Count, SequenceKvCache Cache)>();
        var offset = 0;
        foreach (var chunk in chunks)
        {
            var n = chunk.Tokens.Length;
            if (n <= DecodeAttention.MaxChunkTokens)
            {
                shortChunks.Add((offset, n, chunk.Cache));
            }
            else
            {
                output.narrow(0, offset, n).copy_(AttendPrefill(q.narrow(0, offset, n), k.narrow(0, offset, n), v.narrow(0, offset, n), chunk.Cache));
            }

            offset += n;
        }

        if (shortChunks.Count > 0)
        {
            DecodeAttention.Run(q.contiguous(), k.contiguous(), v.contiguous(), output, shortChunks, _index, c.NumHeads, c.NumKvHeads, c.HeadDim, _scale);
        }

        return output;
    }

    /// <summary>A long chunk: appends its keys/values, then attends with a causal mask offset by what the cache held.</summary>
    private Tensor AttendPrefill(Tensor q, Tensor k, Tensor v, SequenceKvCache cache)
    {
        var c = _config;
        var groups = c.NumHeads / c.NumKvHeads;
        var n = q.size(0);
        var past = cache.Length;
        var total = past + (int)n;
        cache.Write(_index, past, k.transpose(0, 1), v.transpose(0, 1));
        var (keys, values) = cache.Read(_index, total);

        // [n, heads, d] → [kvHeads, groups·n, d]: query heads of a group share one kv head, no kv copies.
        var qg = q.transpose(0, 1).reshape(c.NumKvHeads, groups * n, c.HeadDim);
        using var scale = _scale.ToScalar();
        using var masked = float.NegativeInfinity.ToScalar();
        var scores = torch.matmul(qg, keys.transpose(1, 2)).mul_(scale);
        var mask = torch.full([n, total], masked).triu(past + 1);
        scores = TensorMath.Add(scores.view(c.NumKvHeads, groups, n, total), mask).view(c.NumKvHeads, groups * n, total);
        var attended = torch.matmul(nn.functional.softmax(scores, -1), values);
        return attended.view(c.NumHeads, n, c.HeadDim).transpose(0, 1).reshape(n, c.QProjSize);
    }

    public void Dispose()
    {
        foreach (var t in new[] { _inputNorm, _postNorm, _qkvBias, _qNorm, _kNorm })
        {
            t?.Dispose();
        }

        _qkv.Dispose();
        _o.Dispose();
        _ffn?.Dispose();
        _router?.Dispose();
        _sharedGate?.Dispose();
    }
}

/// <summary>Feeds one step's routing decisions to an optional trace sink.</summary>
internal sealed class StepTrace(IRoutingTraceSink? sink, long step, IReadOnlyList<RowOrigin> rows)
{
    public void OnLayerRouted(ExpertRouting routing) => sink?.OnLayerRouted(step, rows, routing);
}
