namespace Elastic.Inference.Experts;

/// <summary>
/// An <see cref="IExpertExecutor"/> that pins state for a whole forward step. The cluster executor
/// reads the expert placement once per step, so every layer of a step sees the same routing-table
/// version and a migration never changes placement half-way through a step.
/// </summary>
public interface IStepScopedExpertExecutor
{
    /// <summary>Called on the compute thread before the step's first layer.</summary>
    void BeginStep();

    /// <summary>Called on the compute thread after the step, also when it failed.</summary>
    void EndStep();
}
