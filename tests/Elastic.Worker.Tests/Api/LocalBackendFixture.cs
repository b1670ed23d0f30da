using System.Text.Json.Nodes;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Worker.Api;
using Elastic.Worker.Metrics;

namespace Elastic.Worker.Tests.Api;

/// <summary>The real in-process stack over a tiny random checkpoint, served on loopback, with expert counting on.</summary>
public sealed class LocalBackendFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("elastic-api");

    public ServedModel Served { get; private set; } = null!;

    public EngineLoop Loop { get; private set; } = null!;

    public ApiHost Host { get; private set; } = null!;

    public string Model => Served.Name;

    public async Task InitializeAsync()
    {
        var path = TinyServedCheckpoint.Write(_directory.Path);
        // A long context lets a disconnect test start a generation that cannot finish before the client leaves.
        var configPath = Path.Combine(path, "config.json");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(configPath))!;
        config["max_position_embeddings"] = 32768;
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        Served = ServedModel.Load(path);
        var metrics = new ServingMetrics(Prometheus.Metrics.NewCustomRegistry());
        Loop = new EngineLoop(Served.CreateEngine(new EngineOptions { KvCacheBytes = 32L << 20 }, new ExpertTokenCounter(metrics, "local")));
        metrics.ObserveOnScrape(() => Loop.Engine.Stats);
        Host = await ApiHost.StartAsync(new LocalGenerationBackend(Served, new TextGenerator(Served, Loop)), metrics);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Loop.DisposeAsync();
        Served.Dispose();
        _directory.Dispose();
    }
}
