using System.CommandLine;
using Elastic.Gateway;
using Elastic.Gateway.Configuration;
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
        var host = new Option<string>("--host") { Description = "Address the gateway listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Gateway port (the OpenAI API)", DefaultValueFactory = _ => 8080 };
        var workerPort = new Option<int>("--worker-port") { Description = "Worker HTTP port (loopback only)", DefaultValueFactory = _ => 8081 };
        var apiKeys = new Option<string[]>("--api-key") { Description = "Accepted Bearer keys (none: no authentication)", AllowMultipleArgumentsPerToken = true };
        var rate = new Option<int>("--requests-per-minute") { Description = "Per-key rate limit (0: none)", DefaultValueFactory = _ => 0 };
        var kv = new Option<int>("--kv-cache-mb") { Description = "KV-cache budget of the decode engine", DefaultValueFactory = _ => 1024 };
        var experts = new Option<string>("--experts")
        {
            Description = "Where routed experts run: 'cluster' (expert-shard grains, one call per shard per MoE layer) or 'local' (in the decode engine)",
            DefaultValueFactory = _ => "cluster",
        };
        experts.AcceptOnlyFromAmong("cluster", "local");
        var expertShards = new Option<int>("--expert-shards") { Description = "Expert shards the experts are spread over (with --experts cluster)", DefaultValueFactory = _ => 2 };
        var threads = CliOptions.Threads();
        var command = new Command("serve", "Serve a model with the OpenAI-compatible API: gateway + one worker silo with role 'all'")
        {
            model, host, port, workerPort, apiKeys, rate, kv, experts, expertShards, threads,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var workerUrl = $"http://127.0.0.1:{parse.GetValue(workerPort)}";
            var worker = WorkerApp.Build(
                new WorkerOptions
                {
                    ModelDirectory = Path.GetFullPath(CliOptions.ResolveModel(parse.GetValue(model))),
                    Threads = parse.GetValue(threads),
                    KvCacheBytes = (long)parse.GetValue(kv) << 20,
                    ExpertExecution = string.Equals(parse.GetValue(experts), "local", StringComparison.Ordinal) ? ExpertExecution.Local : ExpertExecution.Cluster,
                    ExpertShards = parse.GetValue(expertShards),
                },
                workerUrl,
                configureBuilder: QuietHosting);
            var gatewayOptions = new GatewayOptions
            {
                ListenUrl = $"http://{parse.GetValue(host)}:{parse.GetValue(port)}",
                RequestsPerMinutePerKey = parse.GetValue(rate),
            };
            foreach (var key in parse.GetValue(apiKeys) ?? [])
            {
                gatewayOptions.ApiKeys.Add(key);
            }

            await worker.StartAsync(cancellationToken);

            // The gateway learns its workers from Orleans membership, as it will with many silos.
            await using var directory = new SiloWorkerDirectory(worker.Services, worker.Services.GetRequiredService<ILoggerFactory>().CreateLogger("elastic.gateway.directory"));
            var gateway = GatewayApp.Build(gatewayOptions, directory);
            await gateway.StartAsync(cancellationToken);
            System.Console.Error.WriteLine($"Serving on {gatewayOptions.ListenUrl}/v1 (worker {workerUrl}); Ctrl-C to stop");
            // Ctrl-C / SIGTERM reach either the command's token or the hosts' own console lifetimes.
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(
                cancellationToken, worker.Lifetime.ApplicationStopping, gateway.Lifetime.ApplicationStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // Stop the gateway first so no new request reaches a stopping worker.
            }

            await gateway.StopAsync(CancellationToken.None);
            await worker.StopAsync(CancellationToken.None);
            await gateway.DisposeAsync();
            await worker.DisposeAsync();
            return 0;
        });
        return command;
    }

    private static void QuietHosting(WebApplicationBuilder builder)
    {
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Orleans", LogLevel.Warning);
    }
}
