using Microsoft.Extensions.Hosting;

namespace Elastic.Cli;

/// <summary>Runs the hosts of a serving command until Ctrl-C or SIGTERM, then stops them in the given order.</summary>
internal static class HostRunner
{
    /// <summary>Set by <c>elastic up</c> on its children: the pid whose exit should stop them too.</summary>
    public const string ParentPidVariable = "ELASTIC_PARENT_PID";

    /// <summary>
    /// Completes when the command is cancelled, any of the hosts begins stopping, or the <c>elastic up</c> that started
    /// this process is gone (so a killed <c>up</c> leaves no workers behind).
    /// </summary>
    public static async Task WaitForStopAsync(CancellationToken cancellationToken, params IHostApplicationLifetime[] lifetimes)
    {
        // Ctrl-C / SIGTERM reach either the command's token or the hosts' own console lifetimes.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource([cancellationToken, .. lifetimes.Select(l => l.ApplicationStopping)]);
        try
        {
            var parent = ParentPid();
            if (parent is null)
            {
                await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(false);
                return;
            }

            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false) && IsAlive(parent.Value))
            {
            }

            System.Console.Error.WriteLine($"parent process {parent} is gone; stopping");
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private static int? ParentPid() =>
        int.TryParse(Environment.GetEnvironmentVariable(ParentPidVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Stops and disposes the hosts one after another (each gets its own shutdown timeout).</summary>
    public static async Task StopInOrderAsync(params IHost[] hosts)
    {
        foreach (var host in hosts)
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var host in hosts)
        {
            if (host is IAsyncDisposable async)
            {
                await async.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                host.Dispose();
            }
        }
    }
}
