using System.Diagnostics;
using Elastic.Inference.Caching;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tracing;

namespace Elastic.Inference.Engine;

/// <summary>Point-in-time counters of an engine, for metrics and load-aware routing.</summary>
public sealed record EngineStats(int Running, int Waiting, double KvCacheUsage, long KvCacheAllocatedBytes, long Steps, long GeneratedTokens, long PromptTokens, long OutstandingTokens, long Preemptions = 0);

/// <summary>
/// Batched, incremental generation over a <see cref="MoeTransformer"/>: requests are submitted from
/// any thread; <see cref="Step"/> runs one iteration of the continuous batch on the caller's (compute)
/// thread and returns one output per sequence that produced a token or ended.
/// </summary>
public sealed class InferenceEngine : IDisposable
{
    private readonly MoeTransformer _model;
    private readonly IExpertExecutor _experts;
    private readonly IRoutingTraceSink? _trace;
    private readonly Scheduler _scheduler;
    private readonly HashSet<int> _eos;
    private readonly Lock _gate = new();
    private readonly List<long> _aborts = [];
    private readonly int _maxModelLength;
    private long _nextId;
    private long _steps;
    private long _generated;
    private long _prompted;

    public InferenceEngine(MoeTransformer model, IExpertExecutor experts, EngineOptions options, IRoutingTraceSink? trace = null)
    {
        options.Validate();
        _model = model;
        _experts = experts;
        _trace = trace;
        KvCache = new KvCacheManager(model.Config, options.KvCacheBytes);
        _scheduler = new Scheduler(options, KvCache);
        _maxModelLength = options.MaxModelLength == 0
            ? model.Config.MaxPositionEmbeddings
            : Math.Min(options.MaxModelLength, model.Config.MaxPositionEmbeddings);
        _eos = [.. options.EosTokenIds.Count > 0 ? options.EosTokenIds : model.Config.EosTokenIds];
    }

    public KvCacheManager KvCache { get; }

    /// <summary>Most prompt + output tokens a sequence may have.</summary>
    public int MaxModelLength => _maxModelLength;

    public bool HasWork
    {
        get
        {
            lock (_gate)
            {
                return _scheduler.HasWork || _aborts.Count > 0;
            }
        }
    }

    public EngineStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new EngineStats(_scheduler.Running, _scheduler.Waiting, KvCache.Usage, KvCache.AllocatedBytes, _steps, _generated, _prompted, _scheduler.OutstandingTokens, _scheduler.Preemptions);
            }
        }
    }

    /// <summary>
    /// Queues a request and returns its sequence id. Throws <see cref="ArgumentException"/> for a request
    /// that can never run (empty or too long) and <see cref="EngineOverloadedException"/> when the queue is full.
    /// </summary>
    public long Submit(GenerationRequest request) => Submit(request, null);

    /// <summary>As <see cref="Submit(GenerationRequest)"/>; <paramref name="onAccepted"/> sees the id before the sequence can run.</summary>
    public long Submit(GenerationRequest request, Action<long>? onAccepted)
    {
        Validate(request);
        var prompt = request.PromptTokens.Count;
        var maxTokens = request.Sampling.MaxTokens;
        lock (_gate)
        {
            var sequence = new Sequence(++_nextId, request, Stopwatch.GetTimestamp()) { MaxTotalTokens = prompt + maxTokens };
            _scheduler.Enqueue(sequence);
            onAccepted?.Invoke(sequence.Id);
            return sequence.Id;
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for a request this engine could never run: bad sampling parameters, an empty
    /// or too long prompt, or a hand-over whose KV cache does not fit the model or the prompt. <see cref="Submit(GenerationRequest)"/>
    /// checks the same; call it first to refuse a request before prefilling it elsewhere.
    /// </summary>
    public void Validate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Sampling.Validate();
        var prompt = request.PromptTokens.Count;
        if (prompt == 0)
        {
            throw new ArgumentException("prompt must contain at least one token", nameof(request));
        }

        foreach (var token in request.PromptTokens)
        {
            if ((uint)token >= (uint)_model.Config.VocabSize)
            {
                throw new ArgumentException($"prompt token id {token} is outside the vocabulary (0..{_model.Config.VocabSize - 1})", nameof(request));
            }
        }

        var maxTokens = request.Sampling.MaxTokens;
        // In long: max_tokens may be up to int.MaxValue, and a wrapped sum would pass this check and then fail a whole
        // engine step when the scheduler reserved a negative number of tokens.
        if ((long)prompt + maxTokens > _maxModelLength)
        {
            throw new ArgumentException(
                $"this model's maximum context length is {_maxModelLength} tokens, but {(long)prompt + maxTokens} were requested ({prompt} in the prompt, {maxTokens} for the completion)",
                nameof(request));
        }

        if (!KvCache.CanEverFit(prompt + maxTokens))
        {
            throw new ArgumentException(
                $"prompt + max_tokens ({prompt + maxTokens} tokens) exceed the KV cache capacity of {KvCache.CapacityTokens} tokens", nameof(request));
        }

        if (request.Prefilled is { } handOff)
        {
            ArgumentNullException.ThrowIfNull(handOff.KvCache, nameof(request));
            KvCacheBlob.Check(handOff.KvCache, _model.Config, prompt);
            if ((uint)handOff.FirstToken.TokenId >= (uint)_model.Config.VocabSize)
            {
                throw new ArgumentException($"handed-over first token id {handOff.FirstToken.TokenId} is outside the vocabulary (0..{_model.Config.VocabSize - 1})", nameof(request));
            }
        }
    }

    /// <summary>Cancels a sequence; its cache is freed at the start of the next step at the latest.</summary>
    public void Abort(long sequenceId)
    {
        lock (_gate)
        {
            _aborts.Add(sequenceId);
        }
    }

    /// <summary>Runs one iteration. Call from one thread at a time (the engine's compute loop).</summary>
    public IReadOnlyList<SequenceOutput> Step()
    {
        var outputs = new List<SequenceOutput>();
        StepPlan plan;
        lock (_gate)
        {
            foreach (var id in _aborts)
            {
                if (_scheduler.Remove(id))
                {
                    outputs.Add(new SequenceOutput(id, null, FinishReason.Abort, 0, 0));
                }
            }

            _aborts.Clear();
            plan = _scheduler.Schedule();
            foreach (var s in plan.Imported)
            {
                // The prefill side sampled the first token with this request's parameters; replay its draw.
                var first = s.Request.Prefilled!.FirstToken;
                s.Sampler.Replay(first.TokenId);
                outputs.Add(Emit(s, first));
            }

            if (plan.Items.Count == 0)
            {
                return outputs;
            }
        }

        var before = outputs.Count;
        try
        {
            var logits = _model.Forward(plan.Items.Select(i => i.Chunk).ToList(), _experts, _trace);
            lock (_gate)
            {
                _steps++;
                for (var i = 0; i < plan.Items.Count; i++)
                {
                    var (s, chunk) = plan.Items[i];
                    if (chunk.Logits == LogitsWanted.None)
                    {
                        continue;
                    }

                    outputs.Add(Emit(s, s.Sampler.Sample(logits[i])));
                }
            }
        }
        catch (Exception ex)
        {
            // A failed step leaves its sequences' caches in an unknown state: end them rather than retry on bad state.
            // Only they fail: waiting sequences and this step's cancellations and hand-overs are not part of it.
            lock (_gate)
            {
                foreach (var (s, _) in plan.Items)
                {
                    _scheduler.Finish(s);
                }
            }

            throw new StepFailedException([.. plan.Items.Select(i => i.Sequence.Id)], outputs[..before], ex);
        }

        StepPhaseRecorder.Mark(StepPhase.Sampling);
        return outputs;
    }

    /// <summary>Appends a sampled token, ends the sequence when it should (exporting its cache if asked); under the gate.</summary>
    private SequenceOutput Emit(Sequence s, SampledToken token)
    {
        if (s.OutputLength == 0)
        {
            _prompted += s.PromptLength;
        }

        s.Append(token.TokenId);
        _generated++;
        var finish = FinishFor(s, token.TokenId);
        byte[]? kv = null;
        if (finish is not null)
        {
            kv = s.Request.ExportKvCache ? s.Cache!.Export() : null;
            _scheduler.Finish(s);
        }

        return new SequenceOutput(s.Id, token, finish, s.PromptLength, s.OutputLength) { KvCache = kv, QueueTime = s.QueueTime ?? TimeSpan.Zero };
    }

    private FinishReason? FinishFor(Sequence s, int token)
    {
        var sampling = s.Request.Sampling;
        if ((!sampling.IgnoreEos && _eos.Contains(token)) || sampling.StopTokenIds.Contains(token))
        {
            return FinishReason.Stop;
        }

        return s.OutputLength >= sampling.MaxTokens || s.TotalLength >= _maxModelLength ? FinishReason.Length : null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _scheduler.Clear();
        }
    }
}
