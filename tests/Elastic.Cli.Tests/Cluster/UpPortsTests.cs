using Elastic.Cli.Cluster;

namespace Elastic.Cli.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class UpPortsTests
{
    [Fact]
    public void Stages_GiveEveryWorkerItsHttpSiloAndGatewayPorts_AllDistinct()
    {
        // A worker left to pick its own silo port once took the HTTP port `up` had given it, and its HTTP bind failed.
        var settings = new UpCommand.UpSettings(UpCommand.Disaggregated, "models/elastic-moe-tiny", ExpertWorkers: 2, PrefillWorkers: 1, DecodeWorkers: 2, Threads: 1, PrefillThreads: 1, KvCacheMb: 64);

        var workers = settings.Stages("redis://127.0.0.1:6379").SelectMany(stage => stage).ToList();

        var ports = new List<int>();
        foreach (var worker in workers)
        {
            var args = worker.Arguments.ToList();
            var http = int.Parse(args[args.IndexOf("--port") + 1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(worker.HttpPort, http);
            ports.Add(http);
            ports.Add(int.Parse(args[args.IndexOf("--silo-port") + 1], System.Globalization.CultureInfo.InvariantCulture));
            ports.Add(int.Parse(args[args.IndexOf("--gateway-port") + 1], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(5, workers.Count);
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.True(port > 0));
    }
}
