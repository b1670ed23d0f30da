using System.Diagnostics;
using Elastic.Inference.Caching;
using Elastic.Inference.Sampling;

namespace Elastic.Inference.Engine;

/// <summary>The engine's state of one request: tokens so far, its KV cache and its sampler.</summary>
internal sealed class Sequence(long id, GenerationRequest request, long arrivalTimestamp)
{
    private readonly List<int> _tokens = [.. request.PromptTokens];

    public long Id { get; } = id;

    public GenerationRequest Request { get; } = request;

    /// <summary>When the engine accepted the request (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long ArrivalTimestamp { get; } = arrivalTimestamp;

    /// <summary>How long the sequence waited before its first admission to the running batch; null until then.</summary>
    public TimeSpan? QueueTime { get; private set; }

    /// <summary>Notes an admission; only the first counts (a preempted sequence's second wait is not queue time).</summary>
    public void MarkAdmitted() => QueueTime ??= Stopwatch.GetElapsedTime(ArrivalTimestamp);

    public Sampler Sampler { get; } = new(request.Sampling);

    public SequenceKvCache? Cache { get; set; }

    public int PromptLength => Request.PromptTokens.Count;

    public int OutputLength => _tokens.Count - PromptLength;

    public int TotalLength => _tokens.Count;

    /// <summary>Tokens whose keys/values are in the cache.</summary>
    public int Computed => Cache?.Length ?? 0;

    /// <summary>
    /// Tokens to prefill before decoding: the prompt, or after a preemption every token so far (the cache was given up,
    /// so the prompt and the tokens generated are recomputed in one prefill, and decoding resumes where it stopped).
    /// </summary>
    public int PrefillTarget { get; private set; } = request.PromptTokens.Count;

    public bool IsPrefilled => Computed >= PrefillTarget;

    /// <summary>Times this sequence gave up its cache to let others grow.</summary>
    public int Preemptions { get; private set; }

    /// <summary>Gives up the cache; the sequence waits to be readmitted and recomputes its tokens then.</summary>
    public void Preempt()
    {
        Release();
        PrefillTarget = _tokens.Count;
        Preemptions++;
    }

    public int MaxTotalTokens { get; init; }

    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The next tokens to feed: the prompt's uncomputed part, or the last sampled token.</summary>
    public int[] Pending(int max)
    {
        var start = Computed;
        var count = Math.Min(max, _tokens.Count - start);
        return _tokens.GetRange(start, count).ToArray();
    }

    public void Append(int token) => _tokens.Add(token);

    public void Release()
    {
        Cache?.Dispose();
        Cache = null;
    }
}
