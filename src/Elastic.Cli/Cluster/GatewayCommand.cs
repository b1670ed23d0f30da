using System.CommandLine;
using Elastic.Gateway;
using Elastic.Gateway.Destinations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Elastic.Cli.Cluster;

/// <summary>
/// <c>elastic gateway</c>: the OpenAI front door of a multi-process cluster. An Orleans client finds the decode workers
/// (no static list); YARP forwards to the least-loaded one. Starts listening at once and turns ready when workers join.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var cluster = CliOptions.Cluster();
        var host = CliOptions.GatewayHost();
        var port = CliOptions.GatewayPort();
        var apiKeys = CliOptions.ApiKeys();
        var rate = CliOptions.RequestsPerMinute();
        var command = new Command("gateway", "Run the OpenAI-compatible gateway of a multi-process cluster")
        {
            cluster, host, port, apiKeys, rate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var connection = CliOptions.ParseCluster(parse.GetValue(cluster));
            var options = CliOptions.Gateway($"http://{parse.GetValue(host)}:{parse.GetValue(port)}", parse.GetValue(rate), parse.GetValue(apiKeys));
            using var client = ClusterClient.Build(connection);
            var logger = client.Services.GetRequiredService<ILoggerFactory>().CreateLogger("elastic.gateway.directory");
            await using var directory = new ClusterWorkerDirectory(client.Services.GetRequiredService<IClusterClient>(), logger);
            var gateway = GatewayApp.Build(options, directory);
            await gateway.StartAsync(cancellationToken);

            // Connecting retries until a silo answers; the gateway already serves /healthz (and 503 on /readyz) meanwhile.
            var connecting = client.StartAsync(cancellationToken).ContinueWith(
                connected => directory.Start(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            System.Console.Error.WriteLine($"Gateway on {options.ListenUrl}/v1, workers from cluster {connection}; Ctrl-C to stop");
            await HostRunner.WaitForStopAsync(cancellationToken, gateway.Lifetime, client.Services.GetRequiredService<IHostApplicationLifetime>());
            await HostRunner.StopInOrderAsync(gateway);
            await connecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await client.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
