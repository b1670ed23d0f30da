using static TorchSharp.torch;

namespace Elastic.Inference.Experts;

/// <summary>
/// Runs the routed experts of one MoE layer for a forward step. The local implementation computes
/// in process; the cluster implementation sends each shard its rows in one call. Expert compute is a
/// pure function of (weights, rows), which is what makes retries and migration safe.
/// </summary>
public interface IExpertExecutor
{
    /// <summary>
    /// Returns Σ_k weight[t,k] · expert_{id[t,k]}(hidden[t]) for every row t, shaped like
    /// <paramref name="hidden"/> ([rows, hidden]). Called inside the step's dispose scope.
    /// </summary>
    Tensor Execute(Tensor hidden, ExpertRouting routing);
}
