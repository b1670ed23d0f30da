using System.CommandLine;
using Elastic.Gateway;
using Elastic.Gateway.Destinations;
using Elastic.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Elastic.Cli.Serve;

/// <summary>
/// <c>elastic serve</c>: the all-in-one shape. A worker silo with every role (its OpenAI endpoint on the worker
/// port) and the gateway in front of it (on --port), so the gateway → YARP → worker path is always the one exercised.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var host = CliOptions.GatewayHost();
        var port = CliOptions.GatewayPort();
        var workerPort = new Option<int>("--worker-port") { Description = "Worker HTTP port (loopback only)", DefaultValueFactory = _ => 8081 };
        var apiKeys = CliOptions.ApiKeys();
        var rate = CliOptions.RequestsPerMinute();
        var kv = CliOptions.KvCacheMb();
        var experts = CliOptions.Experts();
        var expertShards = CliOptions.ExpertShards();
        var threads = CliOptions.Threads();
        var engineNice = CliOptions.EngineNice();
        var logStepPhases = CliOptions.LogStepPhases();
        var command = new Command("serve", "Serve a model with the OpenAI-compatible API: gateway + one worker silo with role 'all'")
        {
            model, host, port, workerPort, apiKeys, rate, kv, experts, expertShards, threads, engineNice, logStepPhases,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var workerUrl = $"http://127.0.0.1:{parse.GetValue(workerPort)}";
            var worker = WorkerApp.Build(
                new WorkerOptions
                {
                    ModelDirectory = Path.GetFullPath(CliOptions.ResolveModel(parse.GetValue(model))),
                    Threads = parse.GetValue(threads),
                    EngineNice = parse.GetValue(engineNice),
                    LogStepPhases = parse.GetValue(logStepPhases),
                    KvCacheBytes = (long)parse.GetValue(kv) << 20,
                    ExpertExecution = CliOptions.ParseExperts(parse.GetValue(experts)),
                    ExpertShards = parse.GetValue(expertShards),
                },
                workerUrl,
                configureBuilder: QuietHosting);
            var gatewayOptions = CliOptions.Gateway($"http://{parse.GetValue(host)}:{parse.GetValue(port)}", parse.GetValue(rate), parse.GetValue(apiKeys));

            await worker.StartAsync(cancellationToken);

            // The gateway learns its workers from the cluster, as a separate gateway process does.
            await using var directory = new ClusterWorkerDirectory(worker.Services.GetRequiredService<IGrainFactory>(), worker.Services.GetRequiredService<ILoggerFactory>().CreateLogger("elastic.gateway.directory"));
            directory.Start();
            var gateway = GatewayApp.Build(gatewayOptions, directory);
            await gateway.StartAsync(cancellationToken);
            System.Console.Error.WriteLine($"Serving on {gatewayOptions.ListenUrl}/v1 (worker {workerUrl}); Ctrl-C to stop");

            // Stop the gateway first so no new request reaches a stopping worker, then its directory: the directory's
            // long poll waits in the worker's silo, and a call still there when the silo stops holds its shutdown and
            // fails noisily.
            await HostRunner.WaitForStopAsync(cancellationToken, gateway.Lifetime, worker.Lifetime);
            await gateway.StopAsync(CancellationToken.None);
            await directory.DisposeAsync();
            await HostRunner.StopInOrderAsync(worker);
            await gateway.DisposeAsync();
            return 0;
        });
        return command;
    }

    /// <summary>Keeps per-request framework logs out of a serving console.</summary>
    internal static void QuietHosting(WebApplicationBuilder builder)
    {
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
    }
}
