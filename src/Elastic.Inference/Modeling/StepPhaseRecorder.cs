using System.Diagnostics;
using System.Globalization;

namespace Elastic.Inference.Modeling;

/// <summary>The parts of a forward step that <see cref="StepPhaseRecorder"/> times, in the order a step runs them.</summary>
public enum StepPhase
{
    /// <summary>Checking the chunks, listing rows and positions, making room in the KV caches.</summary>
    Prepare,

    /// <summary>Token embeddings and rotary tables for the step's rows.</summary>
    Lookups,

    /// <summary>Each layer's input RMSNorm.</summary>
    InputNorm,

    /// <summary>The fused q/k/v projection.</summary>
    QkvProjection,

    /// <summary>q/k norms and clipping where configured, rotary embedding of q and k.</summary>
    Rotary,

    /// <summary>Appending keys and values to the caches and attending over them.</summary>
    Attention,

    /// <summary>The output projection and its residual add.</summary>
    OutputProjection,

    /// <summary>Each layer's post-attention RMSNorm.</summary>
    PostAttentionNorm,

    /// <summary>Router logits and the top-k choice (MoE layers).</summary>
    Routing,

    /// <summary>The routed experts (and a shared expert), or a dense layer's FFN.</summary>
    FeedForward,

    /// <summary>The residual add after the feed-forward.</summary>
    Residual,

    /// <summary>Final norm, LM head and the logits handed out.</summary>
    Logits,

    /// <summary>Sampling each sequence's token and its bookkeeping (after the forward pass).</summary>
    Sampling,
}

/// <summary>
/// Times the phases of the forward steps run on the calling thread while it is open (<c>elastic bench engine
/// --phases</c>): where a step's time goes without a profiler. The step's code marks the end of each phase; with no
/// recorder open on the thread a mark costs one thread-static read. Work a phase hands to the compute pool counts in
/// that phase.
/// </summary>
public sealed class StepPhaseRecorder : IDisposable
{
    [ThreadStatic]
    private static StepPhaseRecorder? _current;

    private readonly long[] _ticks = new long[Enum.GetValues<StepPhase>().Length];
    private long _last;

    private StepPhaseRecorder()
    {
    }

    /// <summary>Forward steps begun on this thread since the recorder opened.</summary>
    public int Steps { get; private set; }

    /// <summary>Opens a recorder on the calling thread; dispose it to stop. One at a time per thread.</summary>
    public static StepPhaseRecorder Start()
    {
        if (_current is not null)
        {
            throw new InvalidOperationException("a step-phase recorder is already open on this thread");
        }

        return _current = new StepPhaseRecorder();
    }

    /// <summary>Mean time per step of every phase so far (zero before the first step).</summary>
    public IReadOnlyDictionary<StepPhase, TimeSpan> PerStep() =>
        Enum.GetValues<StepPhase>().ToDictionary(
            p => p,
            p => Steps == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)_ticks[(int)p] / Stopwatch.Frequency / Steps));

    /// <summary>"Prepare 2, Lookups 5, …": the mean µs per step of every phase, as the engine's log writes it.</summary>
    public override string ToString() =>
        string.Join(", ", PerStep().Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.TotalMicroseconds:F0}")));

    public void Dispose()
    {
        if (ReferenceEquals(_current, this))
        {
            _current = null;
        }
    }

    internal static void BeginStep()
    {
        if (_current is { } recorder)
        {
            recorder.Steps++;
            recorder._last = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Ends <paramref name="phase"/>: the time since the previous mark (or the step's start) is its.</summary>
    internal static void Mark(StepPhase phase)
    {
        if (_current is { } recorder)
        {
            var now = Stopwatch.GetTimestamp();
            recorder._ticks[(int)phase] += now - recorder._last;
            recorder._last = now;
        }
    }
}
