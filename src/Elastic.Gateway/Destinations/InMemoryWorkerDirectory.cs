using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Primitives;

namespace Elastic.Gateway.Destinations;

/// <summary>
/// A worker directory held in memory: the static list from options, or a set that a host (or test) replaces
/// with <see cref="Update"/>. Snapshots are swapped atomically and the old one's token is then cancelled,
/// as YARP's <c>InMemoryConfigProvider</c> does.
/// </summary>
public sealed class InMemoryWorkerDirectory : IWorkerDirectory
{
    private volatile Snapshot _current;

    public InMemoryWorkerDirectory(IEnumerable<WorkerEndpoint> workers) => _current = new Snapshot(Freeze(workers));

    /// <summary>A directory of the given base URLs, each identified by its URL.</summary>
    public static InMemoryWorkerDirectory FromUrls(IEnumerable<string> urls) => new(urls.Select(WorkerEndpoint.FromUrl));

    public IReadOnlyList<WorkerEndpoint> Workers => _current.Workers;

    public IChangeToken GetChangeToken() => _current.ChangeToken;

    /// <summary>Replaces the whole set of workers and signals readers of the previous snapshot.</summary>
    public void Update(IEnumerable<WorkerEndpoint> workers)
    {
        var old = Interlocked.Exchange(ref _current, new Snapshot(Freeze(workers)));
        old.SignalChange();
    }

    private static WorkerEndpoint[] Freeze(IEnumerable<WorkerEndpoint> workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        var array = workers.ToArray();
        var duplicate = array.GroupBy(w => w.Id, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Worker id '{duplicate.Key}' appears more than once.", nameof(workers));
        }

        return array;
    }

    [SuppressMessage("Design", "CA1001", Justification = "Cancelled, never disposed: readers may still hold the token of an old snapshot.")]
    private sealed class Snapshot(IReadOnlyList<WorkerEndpoint> workers)
    {
        private readonly CancellationTokenSource _cts = new();

        public IReadOnlyList<WorkerEndpoint> Workers { get; } = workers;

        public IChangeToken ChangeToken => new CancellationChangeToken(_cts.Token);

        public void SignalChange() => _cts.Cancel();
    }
}
