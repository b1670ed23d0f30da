using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Elastic.Worker.Experts;

/// <summary>
/// What grains active in this silo share with engines of the same silo, by grain key: an expert shard's experts
/// (<see cref="ShardExperts"/>) and a placement directory's last stored table (<see cref="PublishedTable"/>). An
/// engine reads them in-process instead of making a local grain call, which costs two thread hops (the grain's turn
/// on the thread pool, then the waiting engine thread). The grain stays the owner: only it adds, changes and removes
/// its entry, on activation, on a stored change and on deactivation.
/// </summary>
public sealed class SiloLocal<TState>
    where TState : class
{
    private readonly ConcurrentDictionary<string, TState> _entries = new(StringComparer.Ordinal);

    /// <summary>Keys of the grains active here (diagnostics and tests).</summary>
    public IReadOnlyCollection<string> Keys => [.. _entries.Keys];

    internal void Add(string key, TState state) => _entries[key] = state;

    /// <summary>Removes <paramref name="state"/> if it is still the entry under <paramref name="key"/>.</summary>
    internal void Remove(string key, TState state) => _entries.TryRemove(KeyValuePair.Create(key, state));

    internal bool TryGet(string key, [NotNullWhen(true)] out TState? state) => _entries.TryGetValue(key, out state);
}

/// <summary>A placement directory's latest stored table, swapped whole by the directory grain.</summary>
internal sealed class PublishedTable(Elastic.Abstractions.Grains.PlacementTable table)
{
    private Elastic.Abstractions.Grains.PlacementTable _table = table;

    public Elastic.Abstractions.Grains.PlacementTable Table
    {
        get => Volatile.Read(ref _table);
        set => Volatile.Write(ref _table, value);
    }
}
