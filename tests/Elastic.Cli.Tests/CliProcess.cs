using System.Collections.Concurrent;
using System.Diagnostics;

namespace Elastic.Cli.Tests;

/// <summary>Runs the built <c>elastic</c> command as a real process, the way a user does.</summary>
internal static class CliProcess
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "elastic.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["ELASTIC_TEST"] = "1";
        return await RunToEndAsync(start, timeout, $"elastic {string.Join(' ', args)}");
    }

    /// <summary>Runs any program to its end (killed after <paramref name="timeout"/>), its output collected.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(ProcessStartInfo start, TimeSpan timeout, string what)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{what} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>elastic</c> with <paramref name="args"/> in the background, its output drained.</summary>
    public static Process Start(params string[] args) => Start(output: null, args);

    /// <summary>Starts <c>elastic</c> in the background; every line it writes (stdout and stderr) goes to <paramref name="output"/>.</summary>
    public static Process Start(ConcurrentQueue<string>? output, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "elastic.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Collect(output, e.Data);
        process.ErrorDataReceived += (_, e) => Collect(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Collect(ConcurrentQueue<string>? output, string? line)
    {
        if (output is not null && line is not null)
        {
            output.Enqueue(line);
        }
    }

    /// <summary>Polls <paramref name="url"/> until it answers 200; fails if the process exits or 180 s pass.</summary>
    public static async Task WaitUntilReadyAsync(string url, Process process)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "elastic exited during start-up");
            try
            {
                if ((await http.GetAsync(url)).StatusCode == System.Net.HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{url} not ready within 180 s");
    }

    /// <summary>SIGTERM, as Kubernetes and docker stop send it; fails the test if the process outlives <paramref name="grace"/>.</summary>
    public static void Terminate(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }

        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!process.WaitForExit(grace))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"elastic did not stop within {grace.TotalSeconds:F0} s of SIGTERM");
        }
    }
}
