using Elastic.Abstractions.Grains;
using Elastic.Worker.Experts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Elastic.Worker.Grains;

/// <summary>
/// Holds one model's current placement table in grain storage (<see cref="PlacementStorage.Name"/>: Redis in a
/// multi-process cluster, memory in one process), so the table survives the silo that hosted the directory.
/// Each stored table is also published to the silo's <see cref="SiloLocal{TState}"/> for engines running here.
/// </summary>
internal sealed partial class PlacementDirectoryGrain(
    [PersistentState("placement", PlacementStorage.Name)] IPersistentState<PlacementDirectoryState> state,
    ILogger<PlacementDirectoryGrain> logger,
    IServiceProvider services) : Grain, IPlacementDirectoryGrain
{
    private SiloLocal<PublishedTable>? _local;
    private PublishedTable? _published;

    private PlacementTable Current => state.State.Table ?? PlacementTable.Empty(this.GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _local = services.GetService<SiloLocal<PublishedTable>>();
        if (_local is not null)
        {
            _published = new PublishedTable(Current);
            _local.Add(this.GetPrimaryKeyString(), _published);
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_published is not null)
        {
            _local?.Remove(this.GetPrimaryKeyString(), _published);
        }

        return Task.CompletedTask;
    }

    public Task<PlacementTable> GetAsync() => Task.FromResult(Current);

    public Task<PlacementTable?> GetIfNewerAsync(long knownVersion) =>
        Task.FromResult(Current.Version > knownVersion ? Current : null);

    public async Task<PlacementTable> PublishAsync(PlacementTable table)
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
        var previous = state.State.Table;
        state.State.Table = table;
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        catch
        {
            // Not stored, not published: the directory keeps answering with the table it has stored.
            state.State.Table = previous;
            throw;
        }

        _published?.Table = table;
        var shards = table.ExpertsByShard().Count;
        LogPublished(logger, model, table.Version, table.Entries.Length, shards);
        return table;
    }

    public Task<PlacementTable> SpreadEvenlyAsync(int[] layers, int expertsPerLayer, string[] shards, int replicas) =>
        PublishAsync(PlacementTable.SpreadEvenly(this.GetPrimaryKeyString(), Current.Version + 1, layers, expertsPerLayer, shards, replicas));

    [LoggerMessage(EventId = 2205, Level = LogLevel.Information, Message = "Placement of {Model} is now v{Version}: {Experts} experts over {Shards} shards")]
    private static partial void LogPublished(ILogger logger, string model, long version, int experts, int shards);
}

/// <summary>The stored state of a <see cref="PlacementDirectoryGrain"/>: its current table, null before the first publish.</summary>
[GenerateSerializer, Alias("elastic.PlacementDirectoryState")]
internal sealed class PlacementDirectoryState
{
    [Id(0)]
    public PlacementTable? Table { get; set; }
}

/// <summary>The grain storage holding placement tables.</summary>
public static class PlacementStorage
{
    /// <summary>The storage provider name: <c>elastic-placement</c>.</summary>
    public const string Name = "elastic-placement";

    /// <summary>Keeps placement tables in this silo's memory, unless another storage was registered under <see cref="Name"/>.</summary>
    public static ISiloBuilder AddInMemoryPlacementStorageIfMissing(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (!silo.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, Name)))
        {
            silo.AddMemoryGrainStorage(Name);
        }

        return silo;
    }
}
