using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Elastic.Cli.Cluster;

/// <summary>
/// A process started by <c>elastic up</c>: its output goes to our standard error prefixed with its name, it runs in a
/// session of its own (so a terminal's Ctrl-C reaches only us and we stop children in order), and it is stopped with
/// SIGTERM first, as Kubernetes does, then killed if it outstays the grace period.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;

    private ChildProcess(string name, Process process, Uri? url)
    {
        Name = name;
        _process = process;
        Url = url;
    }

    public string Name { get; }

    /// <summary>The process's HTTP endpoint, when it has one.</summary>
    public Uri? Url { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Raised once when the process exits, whether asked to or not.</summary>
    public event Action<ChildProcess>? Exited;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, Uri? url = null, bool watchParent = false)
    {
        // setsid: a session of its own, so Ctrl-C in the terminal is ours to pass on in order.
        var useSetsid = File.Exists("/usr/bin/setsid");
        var start = new ProcessStartInfo(useSetsid ? "/usr/bin/setsid" : fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (useSetsid)
        {
            start.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (watchParent)
        {
            start.Environment[HostRunner.ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, url);
        process.OutputDataReceived += (_, e) => child.Echo(e.Data);
        process.ErrorDataReceived += (_, e) => child.Echo(e.Data);
        process.Exited += (_, _) => child.Exited?.Invoke(child);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {name} ({fileName})");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGTERM, then up to <paramref name="grace"/> to exit, then SIGKILL. True when it exited by itself.</summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return true;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return false;
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Echo(string? line)
    {
        if (line is not null)
        {
            System.Console.Error.WriteLine($"[{Name}] {line}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
