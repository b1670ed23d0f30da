using System.Runtime.InteropServices;

namespace Elastic.Inference.Modeling;

/// <summary>
/// The Linux nice value of the engine's own threads: the engine loops and the compute pool's workers. A serving
/// process shares its cores with the threads that carry tokens to clients (Kestrel, the gateway's proxy, SSE writes);
/// at equal nice the scheduler preempts a decode step for socket work that could have waited a few hundred
/// microseconds, and the step's other thread then spins waiting for it. With the engine favoured, that work runs in
/// the gaps between kernels instead (measured on 2 cores at nice −10: +8 to +26 % output tokens/s at 32 streams,
/// docs/benchmarks.md). <see cref="Thread.Priority"/> does nothing on Linux, so this sets the nice value per thread.
/// </summary>
public static partial class ComputeThreadPriority
{
    private const int PrioProcess = 0;
    private const int EPerm = 1;
    private const int EAcces = 13;
    private static int _nice;

    /// <summary>The nice value engine threads take as they start (0, the default: left as the process has it).</summary>
    public static int Nice => Volatile.Read(ref _nice);

    /// <summary>
    /// Sets the nice value (−20 to 19) engine threads started from now on take, after checking on a throwaway thread
    /// that this process may set it: a value below 0 needs the CAP_SYS_NICE capability (root has it; a container needs
    /// it added). Returns null when it applies, otherwise why not, and then leaves engine threads as they are.
    /// </summary>
    public static string? Configure(int nice)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nice, -20);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nice, 19);
        string? problem = null;
        if (nice != 0)
        {
            var probe = new Thread(() => problem = TrySetCurrentThread(nice)) { IsBackground = true, Name = "elastic-nice-probe" };
            probe.Start();
            probe.Join();
        }

        Volatile.Write(ref _nice, problem is null ? nice : 0);
        return problem;
    }

    /// <summary>Gives the calling thread <see cref="Nice"/>; engine and compute threads call it as they start.</summary>
    internal static void ApplyToCurrentThread()
    {
        var nice = Nice;
        if (nice != 0)
        {
            _ = TrySetCurrentThread(nice);
        }
    }

    /// <summary>The calling thread's nice value as the kernel reports it (Linux; 0 elsewhere).</summary>
    internal static int CurrentThreadNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        Marshal.SetLastPInvokeError(0);
        var nice = GetPriority(PrioProcess, GetTid());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? 0 : nice;
    }

    private static string? TrySetCurrentThread(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "thread nice values exist only on Linux";
        }

        try
        {
            if (SetPriority(PrioProcess, GetTid(), nice) == 0)
            {
                return null;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno is EPerm or EAcces
                ? $"setting nice {nice} needs the CAP_SYS_NICE capability, which this process lacks"
                : $"setpriority({nice}) failed with errno {errno}";
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return $"setpriority is not available here: {ex.Message}";
        }
    }

    // On Linux PRIO_PROCESS with a thread id addresses that one thread (nice is per thread there, not per process).
    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, uint who, int prio);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, uint who);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial uint GetTid();
}
