namespace Elastic.Abstractions.Grains;

/// <summary>
/// The rows of one MoE layer of one forward step that one shard must compute, with the experts of
/// that shard each row was routed to. Rows are compact: only the rows this shard needs, in order.
/// </summary>
/// <param name="PlacementVersion">Routing-table version the caller grouped the rows under (diagnostics, migration draining).</param>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Rows">Number of rows in <paramref name="Input"/>.</param>
/// <param name="Hidden">Hidden size: the length of one row.</param>
/// <param name="Input">Row-major [Rows × Hidden] hidden states after the post-attention norm.</param>
/// <param name="Assignments">Per expert of this shard: which of the batch's rows it computes and with which combine weights.</param>
[GenerateSerializer, Immutable, Alias("elastic.ExpertBatch")]
public sealed record ExpertBatch(
    [property: Id(0)] long PlacementVersion,
    [property: Id(1)] int Layer,
    [property: Id(2)] int Rows,
    [property: Id(3)] int Hidden,
    [property: Id(4)] float[] Input,
    [property: Id(5)] ExpertAssignment[] Assignments);

/// <summary>The rows of a batch routed to one expert and the weight each row gives that expert's output.</summary>
/// <param name="Expert">Expert index within the batch's layer.</param>
/// <param name="Rows">Indices into the batch's rows (0..Rows-1), each at most once.</param>
/// <param name="Weights">Combine weight per entry of <paramref name="Rows"/>.</param>
[GenerateSerializer, Immutable, Alias("elastic.ExpertAssignment")]
public sealed record ExpertAssignment(
    [property: Id(0)] int Expert,
    [property: Id(1)] int[] Rows,
    [property: Id(2)] float[] Weights);

/// <summary>A shard's answer to an <see cref="ExpertBatch"/>.</summary>
/// <param name="Output">Row-major [Rows × Hidden]: for each batch row, Σ weight · expert(row) over this shard's experts of that row.</param>
/// <param name="ComputeMilliseconds">Time the shard spent computing, excluding queueing and transport.</param>
[GenerateSerializer, Immutable, Alias("elastic.ExpertBatchResult")]
public sealed record ExpertBatchResult(
    [property: Id(0)] float[] Output,
    [property: Id(1)] double ComputeMilliseconds);
