using Microsoft.Extensions.Hosting;

namespace Elastic.Cli;

/// <summary>Runs the hosts of a serving command until Ctrl-C or SIGTERM, then stops them in the given order.</summary>
internal static class HostRunner
{
    /// <summary>Completes when the command is cancelled or any of the hosts begins stopping.</summary>
    public static async Task WaitForStopAsync(CancellationToken cancellationToken, params IHostApplicationLifetime[] lifetimes)
    {
        // Ctrl-C / SIGTERM reach either the command's token or the hosts' own console lifetimes.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource([cancellationToken, .. lifetimes.Select(l => l.ApplicationStopping)]);
        try
        {
            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
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
