namespace Elastic.Inference.Engine;

/// <summary>
/// A step failed: the sequences it was running are ended (their caches freed) and only they should fail; the outputs
/// the step had produced for other sequences before the failure (cancellations, handed-over first tokens) still hold.
/// </summary>
public sealed class StepFailedException : Exception
{
    public StepFailedException(IReadOnlyCollection<long> failedSequences, IReadOnlyList<SequenceOutput> outputs, Exception inner)
        : base($"the forward step failed for {failedSequences.Count} sequence(s): {inner.Message}", inner)
    {
        FailedSequences = failedSequences;
        Outputs = outputs;
    }

    public StepFailedException()
    {
        FailedSequences = [];
        Outputs = [];
    }

    public StepFailedException(string message)
        : base(message)
    {
        FailedSequences = [];
        Outputs = [];
    }

    public StepFailedException(string message, Exception inner)
        : base(message, inner)
    {
        FailedSequences = [];
        Outputs = [];
    }

    /// <summary>The sequences the failed step was running; they are ended.</summary>
    public IReadOnlyCollection<long> FailedSequences { get; }

    /// <summary>Outputs for other sequences the step produced before it failed; deliver them.</summary>
    public IReadOnlyList<SequenceOutput> Outputs { get; }
}
