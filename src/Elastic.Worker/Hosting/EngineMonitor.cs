using Elastic.Inference.Engine;
using Elastic.Inference.Tracing;

namespace Elastic.Worker.Hosting;

/// <summary>
/// The silo's view of its decode engine for the HTTP side: live stats for /load, /metrics and /readyz, and the
/// routing-trace sink the engine reports expert use to. The decode grain attaches its engine on activation.
/// </summary>
public sealed class EngineMonitor
{
    private InferenceEngine? _engine;

    /// <summary>Receives every step's routing (e.g. the expert token counter); null when nothing listens.</summary>
    public IRoutingTraceSink? TraceSink { get; set; }

    /// <summary>Stats of the attached engine, or null before the decode grain has activated.</summary>
    public EngineStats? Stats => Volatile.Read(ref _engine)?.Stats;

    public bool HasEngine => Volatile.Read(ref _engine) is not null;

    internal void Attach(InferenceEngine engine) => Volatile.Write(ref _engine, engine);

    internal void Detach(InferenceEngine engine) => Interlocked.CompareExchange(ref _engine, null, engine);
}
