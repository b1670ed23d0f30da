using System.Collections.Concurrent;
using Elastic.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Elastic.Gateway.LoadBalancing;

/// <summary>
/// The latest load each worker reported and whether it is alive. Written by the poller, read on every request
/// by the balancer; entries are immutable records replaced whole, so readers never see a torn update.
/// </summary>
internal sealed class WorkerLoadBoard(IOptions<GatewayOptions> options)
{
    private readonly int _deadAfter = options.Value.DeadAfterFailedPolls;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Raised after a worker turns live or dead (not on every load change).</summary>
    public event Action<string, bool>? LivenessChanged;

    /// <summary>The last load of a worker that answered its latest polls; false for unknown, dead or draining workers.</summary>
    public bool TryGetLiveLoad(string workerId, out WorkerLoad load)
    {
        if (_entries.TryGetValue(workerId, out var entry) && entry.IsLive(_deadAfter))
        {
            load = entry.Load!;
            return true;
        }

        load = WorkerLoad.Idle;
        return false;
    }

    public void ReportSuccess(string workerId, WorkerLoad load)
    {
        var before = _entries.TryGetValue(workerId, out var old) && old.IsLive(_deadAfter);
        var entry = new Entry(load, 0);
        _entries[workerId] = entry;
        var after = entry.IsLive(_deadAfter);
        if (before != after)
        {
            // A draining worker answers but takes no new requests: it leaves routing as a dead one does.
            LivenessChanged?.Invoke(workerId, after);
        }
    }

    public void ReportFailure(string workerId)
    {
        var entry = _entries.AddOrUpdate(workerId, _ => new Entry(null, 1), (_, e) => e with { ConsecutiveFailures = e.ConsecutiveFailures + 1 });
        if (entry.Load is not null && entry.ConsecutiveFailures == _deadAfter)
        {
            LivenessChanged?.Invoke(workerId, false);
        }
    }

    /// <summary>Drops workers that left the directory, so a returning id starts unknown rather than stale.</summary>
    public void Retain(IReadOnlySet<string> workerIds)
    {
        foreach (var id in _entries.Keys)
        {
            if (!workerIds.Contains(id))
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    public int CountLive(IEnumerable<string> workerIds) => workerIds.Count(id => TryGetLiveLoad(id, out _));

    private sealed record Entry(WorkerLoad? Load, int ConsecutiveFailures)
    {
        public bool IsLive(int deadAfter) => Load is { Draining: false } && ConsecutiveFailures < deadAfter;
    }
}
