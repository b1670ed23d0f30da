using System.CommandLine;
using System.Globalization;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Cluster;

/// <summary>
/// <c>elastic up</c>: a whole cluster on this machine for a newcomer, in separate processes as in Kubernetes:
/// redis (membership), expert workers, prefill and decode workers, and the gateway. Ctrl-C stops it in reverse order.
/// </summary>
internal static class UpCommand
{
    public const string Disaggregated = "disaggregated";
    public const string AllInOne = "all-in-one";

    public static Command Create()
    {
        var topology = new Option<string>("--topology")
        {
            Description = $"'{Disaggregated}': prefill, decode and expert silos in separate processes; '{AllInOne}': one worker with every role",
            DefaultValueFactory = _ => Disaggregated,
        };
        topology.AcceptOnlyFromAmong(Disaggregated, AllInOne);
        var model = CliOptions.Model();
        var host = CliOptions.GatewayHost();
        var port = CliOptions.GatewayPort();
        var redisPort = new Option<int>("--redis-port") { Description = "Port of the cluster's redis-server (0: a free port)", DefaultValueFactory = _ => 0 };
        var expertWorkers = new Option<int>("--expert-workers") { Description = "Expert worker processes (disaggregated)", DefaultValueFactory = _ => 2 };
        var prefillWorkers = new Option<int>("--prefill-workers") { Description = "Prefill worker processes (disaggregated)", DefaultValueFactory = _ => 1 };
        var decodeWorkers = new Option<int>("--decode-workers") { Description = "Decode worker processes (disaggregated)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads-per-worker") { Description = "libtorch threads of each decode and expert worker process", DefaultValueFactory = _ => 1 };
        var prefillThreads = new Option<int>("--prefill-threads")
        {
            Description = "libtorch threads of each prefill worker (more helps bursts of prompts, but competes with decode steps)",
            DefaultValueFactory = _ => 1,
        };
        var kv = CliOptions.KvCacheMb();
        var apiKeys = CliOptions.ApiKeys();
        var rate = CliOptions.RequestsPerMinute();
        var readyTimeout = new Option<int>("--ready-timeout") { Description = "Seconds each process may take to become ready", DefaultValueFactory = _ => 300 };
        var command = new Command("up", "Start a local multi-process cluster (redis + gateway + prefill + decode + expert workers); Ctrl-C stops it")
        {
            topology, model, host, port, redisPort, expertWorkers, prefillWorkers, decodeWorkers, threads, prefillThreads, kv, apiKeys, rate, readyTimeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new UpSettings(
                parse.GetValue(topology)!,
                Path.GetFullPath(CliOptions.ResolveModel(parse.GetValue(model))),
                parse.GetValue(expertWorkers),
                parse.GetValue(prefillWorkers),
                parse.GetValue(decodeWorkers),
                parse.GetValue(threads),
                parse.GetValue(prefillThreads),
                parse.GetValue(kv));
            settings.Validate();
            var redis = parse.GetValue(redisPort) is var p and > 0 ? p : LoopbackPorts.Free();
            var cluster = $"redis://127.0.0.1:{redis}";
            var gatewayPort = parse.GetValue(port);
            var gateway = new List<string> { "gateway", "--cluster", cluster, "--host", parse.GetValue(host)!, "--port", Invariant(gatewayPort), "--requests-per-minute", Invariant(parse.GetValue(rate)) };
            foreach (var key in parse.GetValue(apiKeys) ?? [])
            {
                gateway.AddRange(["--api-key", key]);
            }

            await using var local = new LocalCluster(TimeSpan.FromSeconds(parse.GetValue(readyTimeout)));
            try
            {
                System.Console.Error.WriteLine($"[up] {settings.Topology} cluster of {settings.Model}: redis on port {redis}");
                await local.StartRedisAsync(redis, cancellationToken);
                foreach (var stage in settings.Stages(cluster))
                {
                    await local.StartStageAsync(stage, cancellationToken);
                }

                await local.StartStageAsync([new ClusterProcessSpec("gateway", gatewayPort, gateway)], cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 130;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                System.Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }

            foreach (var process in local.Processes)
            {
                System.Console.Error.WriteLine($"[up]   {process.Name,-10} pid {process.Id,-8} {process.Url}");
            }

            System.Console.Error.WriteLine($"[up] Serving on http://{parse.GetValue(host)}:{gatewayPort}/v1 ({cluster}); Ctrl-C to stop");
            await HostRunner.WaitForStopAsync(cancellationToken);
            System.Console.Error.WriteLine("[up] stopping: gateway, then workers (draining), then redis");
            return 0;
        });
        return command;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>What to start, validated before anything runs.</summary>
    internal sealed record UpSettings(string Topology, string Model, int ExpertWorkers, int PrefillWorkers, int DecodeWorkers, int Threads, int PrefillThreads, int KvCacheMb)
    {
        public void Validate()
        {
            if (Topology == Disaggregated && (ExpertWorkers is < 1 or > 16 || PrefillWorkers is < 1 or > 16 || DecodeWorkers is < 1 or > 16))
            {
                throw new ArgumentException($"--expert-workers, --prefill-workers and --decode-workers must be between 1 and 16, got {ExpertWorkers}, {PrefillWorkers}, {DecodeWorkers}");
            }

            if (Threads is < 1 or > 256 || PrefillThreads is < 1 or > 256)
            {
                throw new ArgumentException($"--threads-per-worker and --prefill-threads must be between 1 and 256, got {Threads} and {PrefillThreads}");
            }
        }

        /// <summary>The worker processes in start order: expert silos first, since prefill and decode place shards on them.</summary>
        public IReadOnlyList<IReadOnlyList<ClusterProcessSpec>> Stages(string cluster)
        {
            if (Topology == AllInOne)
            {
                return [[Worker("worker", "all", cluster, Threads, ["--expert-shards", "2"])]];
            }

            var shards = Invariant(ExpertWorkers);
            return
            [
                [.. Enumerable.Range(1, ExpertWorkers).Select(i => Worker($"expert-{i}", "expert", cluster, Threads, []))],
                [
                    .. Enumerable.Range(1, PrefillWorkers).Select(i => Worker($"prefill-{i}", "prefill", cluster, PrefillThreads, ["--expert-shards", shards])),
                    .. Enumerable.Range(1, DecodeWorkers).Select(i => Worker($"decode-{i}", "decode", cluster, Threads, ["--expert-shards", shards])),
                ],
            ];
        }

        // Every port of every worker is picked here, once: a worker left to pick its own silo ports could take one this
        // process already gave another worker (or that worker itself) for HTTP before it was bound.
        private ClusterProcessSpec Worker(string name, string role, string cluster, int threads, IEnumerable<string> extra)
        {
            var http = LoopbackPorts.Free();
            string[] args =
            [
                "worker", "--role", role, "--cluster", cluster, "--model", Model, "--port", Invariant(http),
                "--silo-port", Invariant(LoopbackPorts.Free()), "--gateway-port", Invariant(LoopbackPorts.Free()),
                "--threads", Invariant(threads), "--kv-cache-mb", Invariant(KvCacheMb), .. extra,
            ];
            return new ClusterProcessSpec(name, http, args);
        }
    }
}
