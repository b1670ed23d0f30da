using System.Net;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Elastic.Worker.Cluster;

namespace Elastic.Worker.Tests.Hosting;

[Trait("Category", "Integration")]
public sealed class WorkerReadinessTests
{
    [Fact]
    public async Task Readyz_ClusterExpertsWithoutAnyExpertSilo_StaysNotReadyNamingTheShards()
    {
        using var dir = new TempDirectory("elastic-readyz");
        var checkpoint = TinyServedCheckpoint.Write(dir.CreateSubdirectory("tiny-served"));
        var (app, url) = Build(checkpoint, WorkerRole.Decode);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient();
            using var response = await http.GetAsync(url + "/readyz");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("expert shards not loaded", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Readyz_AllRolesClusterExperts_TurnsReadyOnceShardsAreLoaded()
    {
        using var dir = new TempDirectory("elastic-readyz");
        var checkpoint = TinyServedCheckpoint.Write(dir.CreateSubdirectory("tiny-served"));
        var (app, url) = Build(checkpoint, WorkerRole.All);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            HttpStatusCode status;
            while ((status = await StatusAsync(http, url + "/readyz")) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        return response.StatusCode;
    }

    private static (WebApplication App, string Url) Build(string checkpoint, WorkerRole role)
    {
        var url = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        var options = new WorkerOptions
        {
            Role = role,
            ModelDirectory = checkpoint,
            // libtorch's thread count and the compute pool are per process: the same count as the other Worker test
            // classes running beside this one, so none of them changes it under another's engine.
            Threads = 2,
            KvCacheBytes = 16L << 20,
            ExpertExecution = ExpertExecution.Cluster,
        };
        var app = WorkerApp.Build(
            options,
            url,
            configureSilo: silo => silo.UseLocalhostClustering(LoopbackPorts.Free(), LoopbackPorts.Free()),
            configureBuilder: b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        return (app, url);
    }
}
