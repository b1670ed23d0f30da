namespace Elastic.Abstractions.Grains;

/// <summary>
/// One version of a model's expert placement: which shard replicas hold each (layer, expert).
/// Versions only grow; a forward step groups all of its layers under one version.
/// </summary>
/// <param name="Model">The model name (the directory grain's key).</param>
/// <param name="Version">0 for the empty table a directory starts with, then 1, 2, ...</param>
/// <param name="Entries">One entry per placed expert, each expert at most once.</param>
[GenerateSerializer, Immutable, Alias("elastic.PlacementTable")]
public sealed record PlacementTable(
    [property: Id(0)] string Model,
    [property: Id(1)] long Version,
    [property: Id(2)] ExpertPlacement[] Entries)
{
    /// <summary>The version-0 table of a model nothing has been placed for yet.</summary>
    public static PlacementTable Empty(string model) => new(model, 0, []);

    /// <summary>
    /// Spreads every (layer, expert) pair evenly over <paramref name="shards"/>, round-robin in
    /// (layer, expert) order, each pair on <paramref name="replicas"/> distinct shards. When the
    /// expert count is a multiple of the shard count an expert index lands on the same shard in
    /// every layer, which keeps a token's consecutive layers on few shards.
    /// </summary>
    public static PlacementTable SpreadEvenly(string model, long version, IReadOnlyList<int> layers, int expertsPerLayer, IReadOnlyList<string> shards, int replicas = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expertsPerLayer);
        ArgumentOutOfRangeException.ThrowIfZero(shards.Count, nameof(shards));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(replicas);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicas, shards.Count);
        if (shards.Distinct(StringComparer.Ordinal).Count() != shards.Count || shards.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("shard ids must be distinct and non-empty", nameof(shards));
        }

        var entries = new List<ExpertPlacement>(layers.Count * expertsPerLayer);
        var i = 0;
        foreach (var layer in layers)
        {
            for (var e = 0; e < expertsPerLayer; e++, i++)
            {
                var owners = new string[replicas];
                for (var r = 0; r < replicas; r++)
                {
                    owners[r] = shards[(i + r) % shards.Count];
                }

                entries.Add(new ExpertPlacement(new ExpertId(layer, e), owners));
            }
        }

        return new PlacementTable(model, version, [.. entries]);
    }

    /// <summary>Every expert each shard holds under this version, shards in first-seen order.</summary>
    public IReadOnlyDictionary<string, ExpertId[]> ExpertsByShard()
    {
        var result = new Dictionary<string, List<ExpertId>>(StringComparer.Ordinal);
        foreach (var entry in Entries)
        {
            foreach (var shard in entry.Shards)
            {
                if (!result.TryGetValue(shard, out var list))
                {
                    result[shard] = list = [];
                }

                list.Add(entry.Expert);
            }
        }

        return result.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Throws naming the first problem: a duplicate expert, an expert without replicas, a blank or repeated shard id.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Model);
        ArgumentOutOfRangeException.ThrowIfNegative(Version);
        var seen = new HashSet<ExpertId>();
        foreach (var entry in Entries)
        {
            if (!seen.Add(entry.Expert))
            {
                throw new ArgumentException($"placement v{Version} of '{Model}' lists expert {entry.Expert} twice");
            }

            if (entry.Shards.Length == 0)
            {
                throw new ArgumentException($"placement v{Version} of '{Model}' gives expert {entry.Expert} no shard");
            }

            if (entry.Shards.Any(string.IsNullOrWhiteSpace) || entry.Shards.Distinct(StringComparer.Ordinal).Count() != entry.Shards.Length)
            {
                throw new ArgumentException($"placement v{Version} of '{Model}' gives expert {entry.Expert} a blank or repeated shard id");
            }
        }
    }
}

/// <summary>Where one expert lives under a placement version: the shards holding a replica, preferred first.</summary>
/// <param name="Expert">The (layer, expert) pair.</param>
/// <param name="Shards">Shard ids holding it; callers use the first and retry on the next.</param>
[GenerateSerializer, Immutable, Alias("elastic.ExpertPlacement")]
public sealed record ExpertPlacement(
    [property: Id(0)] ExpertId Expert,
    [property: Id(1)] string[] Shards);
