using Elastic.Abstractions.Grains;
using Microsoft.Extensions.Logging;

namespace Elastic.Worker.Grains;

/// <summary>
/// Holds one model's current placement table in memory. A lost activation comes back at version 0;
/// durable state arrives with the planner.
/// </summary>
internal sealed partial class PlacementDirectoryGrain(ILogger<PlacementDirectoryGrain> logger) : Grain, IPlacementDirectoryGrain
{
    private PlacementTable? _current;

    private PlacementTable Current => _current ??= PlacementTable.Empty(this.GetPrimaryKeyString());

    public Task<PlacementTable> GetAsync() => Task.FromResult(Current);

    public Task<PlacementTable?> GetIfNewerAsync(long knownVersion) =>
        Task.FromResult(Current.Version > knownVersion ? Current : null);

    public Task<PlacementTable> PublishAsync(PlacementTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var model = this.GetPrimaryKeyString();
        if (!string.Equals(table.Model, model, StringComparison.Ordinal))
        {
            throw new ArgumentException($"placement table is for model '{table.Model}', this directory serves '{model}'", nameof(table));
        }

        if (table.Version != Current.Version + 1)
        {
            throw new PlacementVersionConflictException(model, Current.Version, table.Version);
        }

        table.Validate();
        _current = table;
        var shards = table.ExpertsByShard().Count;
        LogPublished(logger, model, table.Version, table.Entries.Length, shards);
        return Task.FromResult(table);
    }

    public Task<PlacementTable> SpreadEvenlyAsync(int[] layers, int expertsPerLayer, string[] shards, int replicas) =>
        PublishAsync(PlacementTable.SpreadEvenly(this.GetPrimaryKeyString(), Current.Version + 1, layers, expertsPerLayer, shards, replicas));

    [LoggerMessage(EventId = 2205, Level = LogLevel.Information, Message = "Placement of {Model} is now v{Version}: {Experts} experts over {Shards} shards")]
    private static partial void LogPublished(ILogger logger, string model, long version, int experts, int shards);
}
