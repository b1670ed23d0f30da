namespace Elastic.Abstractions.Grains;

/// <summary>What an expert shard holds and has done: for planners, tests and operators.</summary>
/// <param name="Shard">The shard id (grain key).</param>
/// <param name="Silo">Address of the silo the shard is active on.</param>
/// <param name="CheckpointDirectory">The checkpoint its experts came from; null while empty.</param>
/// <param name="Experts">Experts held, ordered by layer then expert.</param>
/// <param name="Bytes">Bytes of fp32 expert weights held.</param>
/// <param name="Batches">Batches computed since activation.</param>
/// <param name="Rows">Rows computed since activation (one per batch row, whatever its expert count).</param>
[GenerateSerializer, Immutable, Alias("elastic.ExpertShardStatus")]
public sealed record ExpertShardStatus(
    [property: Id(0)] string Shard,
    [property: Id(1)] string Silo,
    [property: Id(2)] string? CheckpointDirectory,
    [property: Id(3)] ExpertId[] Experts,
    [property: Id(4)] long Bytes,
    [property: Id(5)] long Batches,
    [property: Id(6)] long Rows);
