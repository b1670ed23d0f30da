using System.Diagnostics;

namespace Elastic.Inference.Modeling;

/// <summary>
/// Dedicated worker threads for the engine's own kernels. Workers spin briefly between jobs because
/// waking a sleeping thread costs hundreds of microseconds on small VMs (measured here: a thread-pool
/// Parallel.For made a 4 MB GEMV 2× slower than one thread), while a decode step issues its kernels
/// back to back. After a few milliseconds without work they block and cost nothing.
/// </summary>
internal sealed class ComputePool
{
    // Long enough to bridge the gaps between one step's kernels (tens of µs), short enough that a worker does not
    // spin through the gaps between steps, when a serving process's HTTP threads need the core (measured: a 5 ms
    // window kept the worker spinning ~20 % of two cores' time at 32 streams).
    private static readonly long SpinTicks = Stopwatch.Frequency / 2000;
    private static readonly Lock SharedGate = new();
    private static ComputePool? _shared;

    private readonly Lock _runGate = new();
    private readonly Worker[] _workers;
    private WorkItem? _current;

    private ComputePool(int threads)
    {
        Threads = threads;
        _workers = new Worker[threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var worker = _workers[i] = new Worker();
            new Thread(() => Loop(worker)) { IsBackground = true, Name = $"elastic-compute-{i + 1}" }.Start();
        }
    }

    public int Threads { get; }

    /// <summary>The pool sized to the configured libtorch thread count.</summary>
    public static ComputePool Shared
    {
        get
        {
            var threads = Math.Max(1, TorchRuntime.Threads);
            var pool = Volatile.Read(ref _shared);
            if (pool is not null && pool.Threads == threads)
            {
                return pool;
            }

            lock (SharedGate)
            {
                // Thread counts change only at start-up; an old pool's workers just block forever.
                if (_shared is null || _shared.Threads != threads)
                {
                    Volatile.Write(ref _shared, new ComputePool(threads));
                }

                return _shared!;
            }
        }
    }

    /// <summary>
    /// Runs job(0..parts-1) on the pool and the calling thread; returns when every part is done. When another thread
    /// holds the pool (two expert shard grains of one silo computing at once), the caller runs every part itself:
    /// the workers are busy anyway, and queueing behind the other job would add a sleep and a wake-up.
    /// </summary>
    public void Run(int parts, Action<int> job)
    {
        if (_workers.Length == 0 || parts == 1 || !_runGate.TryEnter())
        {
            for (var p = 0; p < parts; p++)
            {
                job(p);
            }

            return;
        }

        try
        {
            var item = new WorkItem(job, parts);
            Volatile.Write(ref _current, item);
            foreach (var worker in _workers)
            {
                worker.Signal();
            }

            item.Help();
            var spin = default(SpinWait);
            while (!item.IsDone)
            {
                spin.SpinOnce(-1);
            }

            item.ThrowIfFailed();
        }
        finally
        {
            _runGate.Exit();
        }
    }

    private void Loop(Worker worker)
    {
        ComputeThreadPriority.ApplyToCurrentThread();
        WorkItem? last = null;
        while (true)
        {
            var item = worker.WaitForWork(() => Volatile.Read(ref _current), last);
            last = item;
            item.Help();
        }
    }

    private sealed class WorkItem(Action<int> job, int parts)
    {
        private readonly int _parts = parts;
        private int _next;
        private int _remaining = parts;
        private Exception? _error;

        public bool IsDone => Volatile.Read(ref _remaining) == 0;

        public void Help()
        {
            int part;
            while ((part = Interlocked.Increment(ref _next) - 1) < _parts)
            {
                try
                {
                    job(part);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref _error, ex, null);
                }
                finally
                {
                    Interlocked.Decrement(ref _remaining);
                }
            }
        }

        public void ThrowIfFailed()
        {
            if (_error is not null)
            {
                throw new InvalidOperationException("a compute kernel failed", _error);
            }
        }
    }

    // Workers live as long as the process, so their semaphores are never disposed.
#pragma warning disable CA1001
    private sealed class Worker
#pragma warning restore CA1001
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        public void Signal()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _wake.Release();
            }
        }

        public WorkItem WaitForWork(Func<WorkItem?> current, WorkItem? last)
        {
            var started = Stopwatch.GetTimestamp();
            var spin = default(SpinWait);
            while (true)
            {
                var item = current();
                if (item is not null && !ReferenceEquals(item, last))
                {
                    return item;
                }

                if (Stopwatch.GetTimestamp() - started < SpinTicks)
                {
                    spin.SpinOnce(-1);
                    continue;
                }

                Volatile.Write(ref _sleeping, 1);
                item = current();
                if (item is not null && !ReferenceEquals(item, last))
                {
                    Interlocked.Exchange(ref _sleeping, 0);
                    return item;
                }

                _wake.Wait();
                started = Stopwatch.GetTimestamp();
            }
        }
    }
}
