using System.Diagnostics;
using System.Runtime.InteropServices;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Experts;
using Elastic.Inference.Tracing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// The MoE decoder without its routed experts: embeddings, attention, norms, routers, dense and
/// shared FFNs, LM head. Routed experts run through an <see cref="IExpertExecutor"/>, so the same
/// forward pass serves one process and many pods.
/// </summary>
public sealed partial class MoeTransformer : IDisposable
{
    private readonly Tensor _embedding;
    private readonly Tensor _finalNorm;
    private readonly PanelWeight _lmHead;
    private readonly DecoderLayer[] _layers;
    private readonly RotaryEmbedding _rope;
    private long _steps;

    private MoeTransformer(ModelConfig config, Tensor embedding, Tensor finalNorm, PanelWeight lmHead, DecoderLayer[] layers)
    {
        Config = config;
        _embedding = embedding;
        _finalNorm = finalNorm;
        _lmHead = lmHead;
        _layers = layers;
        _rope = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings);
    }

    public ModelConfig Config { get; }

    /// <summary>Bytes of the weights this object holds (routed experts excluded).</summary>
    public long Bytes => ((_embedding.numel() + _finalNorm.numel()) * sizeof(float)) + _lmHead.Bytes + _layers.Sum(l => l.Bytes);

    /// <summary>Loads every weight except the routed experts; all or nothing.</summary>
    public static MoeTransformer Load(IWeightSource reader, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var c = reader.Config;
        var loaded = new List<IDisposable>();
        var clock = Stopwatch.StartNew();
        try
        {
            var embedding = Track(loaded, reader.Load(WeightNames.Embedding));
            var norm = Track(loaded, reader.Load(WeightNames.FinalNorm));
            // Packed for the linear kernel; tied to the embedding, a packed copy of it.
            PanelWeight head;
            if (c.TieWordEmbeddings)
            {
                head = Track(loaded, PanelWeight.Pack(embedding));
            }
            else
            {
                using var lmHead = reader.Load(WeightNames.LmHead);
                head = Track(loaded, PanelWeight.Pack(lmHead));
            }

            var layers = new DecoderLayer[c.NumLayers];
            for (var l = 0; l < c.NumLayers; l++)
            {
                layers[l] = Track(loaded, DecoderLayer.Load(reader, l));
                LogLayerLoaded(logger, l + 1, c.NumLayers, clock.Elapsed.TotalSeconds);
            }

            return new MoeTransformer(c, embedding, norm, head, layers);
        }
        catch
        {
            foreach (var d in loaded)
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Runs one forward step over the chunks (any mix of prefill chunks and single decode tokens),
    /// appends their keys/values to each chunk's cache, and returns the logits each chunk asked for:
    /// [vocab] for <see cref="LogitsWanted.LastToken"/>, [tokens·vocab] for <see cref="LogitsWanted.AllTokens"/>,
    /// empty for <see cref="LogitsWanted.None"/>.
    /// </summary>
    public float[][] Forward(IReadOnlyList<ForwardChunk> chunks, IExpertExecutor experts, IRoutingTraceSink? trace = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(chunks.Count);
        StepPhaseRecorder.BeginStep();
        var tokens = new List<long>();
        var positions = new List<long>();
        var origins = new List<RowOrigin>();
        foreach (var chunk in chunks)
        {
            if (chunk.Tokens.Length == 0)
            {
                throw new ArgumentException($"sequence {chunk.SequenceId}: a chunk needs at least one token", nameof(chunks));
            }

            var past = chunk.Cache.Length;
            if (past + chunk.Tokens.Length > Config.MaxPositionEmbeddings)
            {
                throw new ArgumentException($"sequence {chunk.SequenceId}: {past + chunk.Tokens.Length} tokens exceed the model's context of {Config.MaxPositionEmbeddings}", nameof(chunks));
            }

            for (var i = 0; i < chunk.Tokens.Length; i++)
            {
                var token = chunk.Tokens[i];
                if ((uint)token >= (uint)Config.VocabSize)
                {
                    throw new ArgumentException($"sequence {chunk.SequenceId}: token id {token} is outside the vocabulary (0..{Config.VocabSize - 1})", nameof(chunks));
                }

                tokens.Add(token);
                positions.Add(past + i);
                origins.Add(new RowOrigin(chunk.SequenceId, past + i));
            }

            chunk.Cache.EnsureRoom(chunk.Tokens.Length);
        }

        StepPhaseRecorder.Mark(StepPhase.Prepare);
        var step = Interlocked.Increment(ref _steps);
        var stepTrace = new StepTrace(trace, step, origins);
        var stepScoped = experts as IStepScopedExpertExecutor;
        stepScoped?.BeginStep();
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var x = torch.empty(tokens.Count, _embedding.size(1));
            TensorRows.Copy(_embedding, CollectionsMarshal.AsSpan(tokens), x);
            var (cos, sin) = _rope.Gather(CollectionsMarshal.AsSpan(positions));
            StepPhaseRecorder.Mark(StepPhase.Lookups);
            foreach (var layer in _layers)
            {
                x = layer.Forward(x, cos, sin, chunks, experts, stepTrace);
            }

            foreach (var chunk in chunks)
            {
                chunk.Cache.Advance(chunk.Tokens.Length);
            }

            var logits = ComputeLogits(x, chunks);
            StepPhaseRecorder.Mark(StepPhase.Logits);
            return logits;
        }
        finally
        {
            stepScoped?.EndStep();
        }
    }

    private float[][] ComputeLogits(Tensor x, IReadOnlyList<ForwardChunk> chunks)
    {
        var rows = new List<long>();
        long offset = 0;
        foreach (var chunk in chunks)
        {
            var n = chunk.Tokens.Length;
            switch (chunk.Logits)
            {
                case LogitsWanted.LastToken:
                    rows.Add(offset + n - 1);
                    break;
                case LogitsWanted.AllTokens:
                    for (var i = 0; i < n; i++)
                    {
                        rows.Add(offset + i);
                    }

                    break;
            }

            offset += n;
        }

        var result = new float[chunks.Count][];
        if (rows.Count == 0)
        {
            Array.Fill(result, []);
            return result;
        }

        var selected = rows.Count == x.size(0) ? x : x.index_select(0, torch.tensor(rows.ToArray()));
        var logits = PanelLinear.Forward(TensorMath.RmsNorm(selected, _finalNorm, Config.RmsNormEps), _lmHead).contiguous();
        // Each chunk's rows are copied straight out of the tensor: one [rows, vocab] intermediate array per step would
        // be a large-object-heap allocation (256 KB at 32 rows of a 2,048 vocabulary), which drives gen-2 collections.
        var all = MemoryMarshal.Cast<byte, float>(logits.bytes);
        var vocab = Config.VocabSize;
        var at = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            var count = chunks[i].Logits switch
            {
                LogitsWanted.LastToken => 1,
                LogitsWanted.AllTokens => chunks[i].Tokens.Length,
                _ => 0,
            };
            result[i] = count == 0 ? [] : all.Slice(at * vocab, count * vocab).ToArray();
            at += count;
        }

        return result;
    }

    public void Dispose()
    {
        _embedding.Dispose();
        _finalNorm.Dispose();
        _lmHead.Dispose();

        foreach (var layer in _layers)
        {
            layer.Dispose();
        }

        _rope.Dispose();
    }

    private static T Track<T>(List<IDisposable> loaded, T item)
        where T : IDisposable
    {
        loaded.Add(item);
        return item;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Loaded layer {Layer}/{Layers} after {Seconds:F1} s")]
    private static partial void LogLayerLoaded(ILogger logger, int layer, int layers, double seconds);
}
