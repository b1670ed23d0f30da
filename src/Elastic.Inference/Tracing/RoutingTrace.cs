using Elastic.Inference.Experts;

namespace Elastic.Inference.Tracing;

/// <summary>Who a row of a forward step belongs to: a sequence and the token position within it.</summary>
public readonly record struct RowOrigin(long SequenceId, int Position);

/// <summary>
/// Receives, for every forward step and MoE layer, which experts each token used: the raw
/// material of placement planning. Opt-in; called on the compute thread, so keep it cheap.
/// </summary>
public interface IRoutingTraceSink
{
    void OnLayerRouted(long stepNumber, IReadOnlyList<RowOrigin> rows, ExpertRouting routing);
}
