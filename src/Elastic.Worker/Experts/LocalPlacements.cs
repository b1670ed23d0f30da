using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Elastic.Abstractions.Grains;

namespace Elastic.Worker.Experts;

/// <summary>
/// The placement directories active in this silo, by model: the table each last stored. An engine of the same silo
/// reads its per-step placement here instead of calling the directory grain (two thread hops a step); the grain stays
/// the only writer and publishes here only once a table is stored, so a reader never sees a table the grain could
/// still lose.
/// </summary>
public sealed class LocalPlacements
{
    private readonly ConcurrentDictionary<string, PublishedTable> _directories = new(StringComparer.Ordinal);

    /// <summary>Models whose directory is active here (diagnostics and tests).</summary>
    public IReadOnlyCollection<string> Models => [.. _directories.Keys];

    internal void Add(string model, PublishedTable table) => _directories[model] = table;

    /// <summary>Removes <paramref name="table"/> if it is still the one registered for <paramref name="model"/>.</summary>
    internal void Remove(string model, PublishedTable table) => _directories.TryRemove(KeyValuePair.Create(model, table));

    internal bool TryGet(string model, [NotNullWhen(true)] out PublishedTable? table) => _directories.TryGetValue(model, out table);
}

/// <summary>A directory's latest stored table, swapped whole by the directory grain.</summary>
internal sealed class PublishedTable(PlacementTable table)
{
    private PlacementTable _table = table;

    public PlacementTable Table
    {
        get => Volatile.Read(ref _table);
        set => Volatile.Write(ref _table, value);
    }
}
