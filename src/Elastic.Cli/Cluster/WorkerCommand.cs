using System.CommandLine;
using Elastic.Abstractions.Cluster;
using Elastic.Abstractions.Grains;
using Elastic.Cli.Serve;
using Elastic.Worker.Cluster;
using Elastic.Worker.Hosting;

namespace Elastic.Cli.Cluster;

/// <summary>
/// <c>elastic worker</c>: one worker silo of a multi-process cluster (a pod in Kubernetes) with the given roles, its
/// HTTP endpoint (OpenAI API on decode workers, /healthz, /readyz, /metrics, /load) and Redis membership.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role")
        {
            Description = "Roles of this silo: prefill, decode, expert or all; several as a comma list (e.g. prefill,decode)",
            Required = true,
        };
        var cluster = CliOptions.Cluster();
        var model = CliOptions.Model();
        var host = new Option<string>("--host") { Description = "Address the worker's HTTP endpoint listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Worker HTTP port", DefaultValueFactory = _ => 8081 };
        var advertise = new Option<string?>("--advertise-url") { Description = "URL gateways use to reach this worker (default: http://HOST:PORT)" };
        var siloPort = new Option<int>("--silo-port") { Description = "Orleans silo-to-silo port (0: a free port)", DefaultValueFactory = _ => 0 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Orleans client gateway port (0: a free port)", DefaultValueFactory = _ => 0 };
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Running in a pod: Orleans Kubernetes hosting (POD_NAME, POD_NAMESPACE, POD_IP)" };
        var prefill = new Option<string>("--prefill") { Description = "Where a decode worker prefills prompts: auto (on prefill silos when present), local or remote", DefaultValueFactory = _ => "auto" };
        prefill.AcceptOnlyFromAmong("auto", "local", "remote");
        var drain = new Option<int>("--drain-timeout") { Description = "Seconds in-flight requests may take to finish on a graceful stop", DefaultValueFactory = _ => 30 };
        var kv = CliOptions.KvCacheMb();
        var experts = CliOptions.Experts();
        var expertShards = CliOptions.ExpertShards();
        var threads = CliOptions.Threads();
        var engineNice = CliOptions.EngineNice();
        var logStepPhases = CliOptions.LogStepPhases();
        var command = new Command("worker", "Run one worker silo of a multi-process cluster (prefill, decode and/or expert roles)")
        {
            role, cluster, model, host, port, advertise, siloPort, gatewayPort, kubernetes, prefill, drain, kv, experts, expertShards, threads, engineNice, logStepPhases,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var roles = ParseRoles(parse.GetValue(role));
            var servesModel = (roles & (WorkerRole.Prefill | WorkerRole.Decode)) != 0;
            var clustering = new WorkerClustering(CliOptions.ParseCluster(parse.GetValue(cluster)), parse.GetValue(siloPort), parse.GetValue(gatewayPort), parse.GetValue(kubernetes));
            if (clustering.Kubernetes && clustering.Cluster.Kind != ClusterKind.Redis)
            {
                throw new ArgumentException("--kubernetes: pods share membership through Redis; give --cluster redis://HOST:PORT");
            }

            var listenUrl = $"http://{parse.GetValue(host)}:{parse.GetValue(port)}";
            LoopbackPorts.Reserve(parse.GetValue(port));
            var options = new WorkerOptions
            {
                Role = roles,
                // Expert silos load their experts from the checkpoint the decode side names; they need no model of their own.
                ModelDirectory = servesModel ? Path.GetFullPath(CliOptions.ResolveModel(parse.GetValue(model))) : null,
                Threads = parse.GetValue(threads),
                EngineNice = parse.GetValue(engineNice),
                LogStepPhases = parse.GetValue(logStepPhases),
                KvCacheBytes = (long)parse.GetValue(kv) << 20,
                ExpertExecution = CliOptions.ParseExperts(parse.GetValue(experts)),
                ExpertShards = parse.GetValue(expertShards),
                Prefill = Enum.Parse<PrefillMode>(parse.GetValue(prefill)!, ignoreCase: true),
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                AdvertisedHttpUrl = parse.GetValue(advertise) ?? AdvertisedUrl(parse.GetValue(host)!, parse.GetValue(port)),
            };
            var worker = WorkerApp.Build(options, listenUrl, configureSilo: clustering.Apply, configureBuilder: ServeCommand.QuietHosting);
            await worker.StartAsync(cancellationToken);
            System.Console.Error.WriteLine($"Worker [{roles}] on {listenUrl} in cluster {clustering.Cluster}; Ctrl-C to stop");
            await HostRunner.WaitForStopAsync(cancellationToken, worker.Lifetime);
            await HostRunner.StopInOrderAsync(worker);
            return 0;
        });
        return command;
    }

    /// <summary>Parses "prefill", "decode,expert", "all" (case-insensitive), naming the bad part.</summary>
    public static WorkerRole ParseRoles(string? value)
    {
        var roles = WorkerRole.None;
        foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToUpperInvariant() switch
            {
                "PREFILL" => WorkerRole.Prefill,
                "DECODE" => WorkerRole.Decode,
                "EXPERT" => WorkerRole.Expert,
                "ALL" => WorkerRole.All,
                _ => throw new ArgumentException($"--role: '{part}' is not a role; use prefill, decode, expert or all"),
            };
        }

        return roles == WorkerRole.None ? throw new ArgumentException("--role: no role given; use prefill, decode, expert or all") : roles;
    }

    /// <summary>A wildcard listen address is not reachable: advertise the pod IP or host name instead.</summary>
    private static string AdvertisedUrl(string host, int port)
    {
        if (host is "0.0.0.0" or "*" or "+" or "[::]")
        {
            host = Environment.GetEnvironmentVariable("POD_IP") is { Length: > 0 } ip ? ip : System.Net.Dns.GetHostName();
        }

        return $"http://{host}:{port}";
    }
}
