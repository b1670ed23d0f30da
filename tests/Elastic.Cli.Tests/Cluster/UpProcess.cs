using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Tests.Cluster;

/// <summary>
/// A running <c>elastic up</c> (a real multi-process cluster with its own redis-server) as a test drives it: waits for
/// "Serving on", reads the process table it prints (name, pid, HTTP URL) and stops it with SIGTERM.
/// </summary>
internal sealed partial class UpProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private UpProcess(Process process, int port)
    {
        _process = process;
        GatewayUrl = $"http://127.0.0.1:{port}";
    }

    public string GatewayUrl { get; }

    /// <summary>Name → (pid, HTTP URL) of every child, from the table <c>elastic up</c> prints.</summary>
    public Dictionary<string, (int Pid, string? Url)> Children { get; } = [];

    public string Log => string.Join('\n', _log);

    /// <summary>The failures and warnings child <paramref name="name"/> logged, for assertion messages.</summary>
    public string Problems(string name) => string.Join('\n', _log.Where(l => l.StartsWith($"[{name}] ", StringComparison.Ordinal))
        .Where(l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)).TakeLast(40));

    public static async Task<UpProcess> StartAsync(params string[] args)
    {
        var port = LoopbackPorts.Free();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "elastic.dll"));
        foreach (var a in (string[])["up", "--port", port.ToString(CultureInfo.InvariantCulture), "--threads-per-worker", "1", .. args])
        {
            start.ArgumentList.Add(a);
        }

        var up = new UpProcess(Process.Start(start)!, port);
        up._process.OutputDataReceived += (_, e) => up.Record(e.Data);
        up._process.ErrorDataReceived += (_, e) => up.Record(e.Data);
        up._process.BeginOutputReadLine();
        up._process.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!up._log.Any(l => l.StartsWith("[up] Serving on", StringComparison.Ordinal)))
            {
                Assert.False(up._process.HasExited, "elastic up exited during start-up:\n" + up.Log);
                Assert.True(DateTime.UtcNow < deadline, "elastic up not serving within 3 minutes:\n" + up.Log);
                await Task.Delay(100);
            }

            foreach (var line in up._log)
            {
                if (TableRow().Match(line) is { Success: true } m)
                {
                    up.Children[m.Groups[1].Value] = (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), m.Groups[3].Success && m.Groups[3].Length > 0 ? m.Groups[3].Value : null);
                }
            }

            return up;
        }
        catch
        {
            await up.DisposeAsync();
            throw;
        }
    }

    /// <summary>The HTTP URL of child <paramref name="name"/>.</summary>
    public string UrlOf(string name) => Children[name].Url?.TrimEnd('/') ?? throw new InvalidOperationException($"{name} has no URL");

    /// <summary>Sends <paramref name="signal"/> (e.g. TERM, KILL) to child <paramref name="name"/>.</summary>
    public void Signal(string name, string signal) => Process.Start("kill", ["-" + signal, Children[name].Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL to <c>elastic up</c> itself (no chance to stop its children).</summary>
    public void KillUp()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM to <c>elastic up</c>; returns its exit code once it and every child are gone.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        foreach (var (pid, _) in Children.Values.Where(c => IsRunning(c.Pid)))
        {
            Process.GetProcessById(pid).Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    [GeneratedRegex(@"^\[up\]\s+(\S+)\s+pid (\d+)\s*(\S*)\s*$")]
    private static partial Regex TableRow();
}
