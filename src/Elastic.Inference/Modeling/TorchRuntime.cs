using System.Runtime.InteropServices;
using TorchSharp;

namespace Elastic.Inference.Modeling;

/// <summary>Process-wide libtorch settings; applied once, before the first forward step.</summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static int _threads;

    /// <summary>The intra-op thread count in force (0 until <see cref="Configure"/> runs).</summary>
    public static int Threads => _threads;

    /// <summary>
    /// Sets libtorch's intra-op threads. Several worker processes on one small machine
    /// oversubscribe the cores unless each sets its own count, so every host calls this at start-up.
    /// </summary>
    public static void Configure(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        lock (Gate)
        {
            if (_threads == threads)
            {
                return;
            }

            torch.set_num_threads(threads);
            if (_threads == 0)
            {
                // Inter-op threads can only be set before any inter-op work has started.
                try
                {
                    torch.set_num_interop_threads(1);
                }
                catch (Exception ex) when (ex is InvalidOperationException or ExternalException)
                {
                    // Already set by an earlier user of libtorch in this process; intra-op count still applies.
                }
            }

            _threads = threads;
        }
    }

    /// <summary>Configures libtorch with the default thread count unless a host already chose one.</summary>
    public static void EnsureConfigured()
    {
        if (_threads == 0)
        {
            Configure(Math.Max(1, Environment.ProcessorCount));
        }
    }
}
