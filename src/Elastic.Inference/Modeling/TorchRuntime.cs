using System.Runtime.InteropServices;
using TorchSharp;

namespace Elastic.Inference.Modeling;

/// <summary>Process-wide libtorch settings; applied once, before the first forward step.</summary>
public static partial class TorchRuntime
{
    private static readonly ThreadCountSetting Setting = new(Apply);

    /// <summary>The intra-op thread count in force (0 until <see cref="Configure"/> runs).</summary>
    public static int Threads => Setting.Threads;

    /// <summary>
    /// Sets libtorch's intra-op threads. Several worker processes on one small machine
    /// oversubscribe the cores unless each sets its own count, so every host calls this at start-up.
    /// </summary>
    public static void Configure(int threads) => Setting.Configure(threads);

    private static void Apply(int threads, bool first)
    {
        if (first)
        {
            PreferPassiveOpenMpWaiting();
        }

        torch.set_num_threads(threads);
        if (first)
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
    }

    /// <summary>The spin count libtorch's OpenMP workers get with passive waiting (libgomp's <c>GOMP_SPINCOUNT</c>).</summary>
    public const string OpenMpSpinCount = "3000";

    /// <summary>
    /// libtorch's OpenMP workers busy-wait for milliseconds after every parallel region by default; on two cores they
    /// then steal the CPU from the engine's own kernels (decode steps were ~1.8× slower here). Fully passive workers
    /// (no spin at all) sleep on a futex after every region instead, which made a prefill of 32 short prompts spend a
    /// quarter of its time in futex waits and wake-ups: a short spin (libgomp's unit, ~100 per µs by its own estimate,
    /// so ~30 µs) bridges the gap between one layer's back-to-back GEMMs and still stops long before the next kernel of
    /// ours. Both must be in the native environment before libgomp loads, so they are set through libc, not .NET's
    /// copy. An operator's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
    /// </summary>
    private static void PreferPassiveOpenMpWaiting()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null)
        {
            return;
        }

        _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        _ = SetEnv("GOMP_SPINCOUNT", OpenMpSpinCount, 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// Configures libtorch with the default thread count unless a host already chose one. A model can load while the
    /// host is still starting (a worker's expert shards load it beside its start-up), so this must never override a
    /// host's count, whichever runs first.
    /// </summary>
    public static void EnsureConfigured() => Setting.EnsureConfigured(Math.Max(1, Environment.ProcessorCount));
}
