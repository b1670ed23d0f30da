namespace Elastic.Inference.Modeling;

/// <summary>
/// A process-wide thread count that a host sets explicitly and a library falls back to a default for: the host's
/// count wins in either order, and concurrent callers see one decision (the check and the change are one step under
/// the lock; a default checked outside it once overrode a worker's <c>--threads 1</c> while its model loaded).
/// </summary>
internal sealed class ThreadCountSetting(Action<int, bool> apply)
{
    private readonly Lock _gate = new();
    private int _threads;

    /// <summary>The count in force; 0 until the first configuration.</summary>
    public int Threads => Volatile.Read(ref _threads);

    /// <summary>Applies <paramref name="threads"/> (the apply callback learns whether it is the first count applied).</summary>
    public void Configure(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        lock (_gate)
        {
            if (_threads != threads)
            {
                Set(threads);
            }
        }
    }

    /// <summary>Applies <paramref name="defaultThreads"/> only when nothing was configured yet.</summary>
    public void EnsureConfigured(int defaultThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(defaultThreads);
        lock (_gate)
        {
            if (_threads == 0)
            {
                Set(defaultThreads);
            }
        }
    }

    private void Set(int threads)
    {
        apply(threads, _threads == 0);
        Volatile.Write(ref _threads, threads);
    }
}
