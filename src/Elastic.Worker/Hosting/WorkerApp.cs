using System.Text.Json;
using Elastic.Abstractions.Grains;
using Elastic.Worker.Api;
using Elastic.Worker.Grains;
using Elastic.Worker.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace Elastic.Worker.Hosting;

/// <summary>
/// A worker process: an Orleans silo with the worker's roles plus its HTTP endpoint (OpenAI API, /load for the
/// gateway, /healthz, /readyz, /metrics).
/// </summary>
public static class WorkerApp
{
    /// <summary>Builds the worker; <paramref name="configureSilo"/> sets clustering (localhost when null).</summary>
    public static WebApplication Build(WorkerOptions options, string listenUrl, CollectorRegistry? metricsRegistry = null, Action<ISiloBuilder>? configureSilo = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        options.AdvertisedHttpUrl ??= listenUrl;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(listenUrl);
        // The drain runs inside the host's shutdown window; leave the silo time to leave the cluster after it.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(30));
        configureBuilder?.Invoke(builder);
        builder.AddElasticWorker(options, configureSilo);
        var metrics = new ServingMetrics(metricsRegistry ?? Prometheus.Metrics.NewCustomRegistry());
        builder.Services.AddSingleton(metrics);
        var app = builder.Build();
        var drain = app.Services.GetRequiredService<WorkerDrain>();

        var monitor = app.Services.GetRequiredService<EngineMonitor>();
        // With shard grains the shards count their own tokens (labelled with the shard id); locally the engine does.
        monitor.TraceSink = options.ExpertExecution == ExpertExecution.Local ? new ExpertTokenCounter(metrics, "local") : null;
        metrics.ObserveOnScrape(() => monitor.Stats);
        metrics.ObserveOnScrape(app.Services.GetRequiredService<TransferCounters>());

        var decodes = (options.Role & WorkerRole.Decode) != 0;
        if (decodes)
        {
            // Only decode workers serve the API (gateways route only to them); the drain counts their requests.
            app.UseWhen(http => http.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal), api => api.Use(next => http => drain.TrackAsync(http, next)));
            app.MapOpenAi();
        }

        app.MapServingMetrics(metrics);
        app.MapGet("/healthz", () => Results.Text("ok"));
        var experts = app.Services.GetRequiredService<ExpertShardBootstrap>();
        var servesModel = (options.Role & (WorkerRole.Prefill | WorkerRole.Decode)) != 0;
        app.MapGet("/readyz", (WorkerModel model) =>
        {
            var problem = drain.IsDraining ? "draining"
                : servesModel && !model.IsLoaded ? "model not loaded"
                : !experts.IsReady ? "expert shards not loaded"
                : decodes && !monitor.HasEngine ? "decode engine not started"
                : null;
            return problem is null ? Results.Text("ready") : Results.Text("not ready: " + problem, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/load", () =>
        {
            var s = monitor.Stats;
            return Results.Json(new WorkerLoadReport(s?.Running ?? 0, s?.Waiting ?? 0, s?.KvCacheUsage ?? 0, s?.OutstandingTokens ?? 0, drain.IsDraining), WorkerLoadReport.JsonOptions);
        });

        // Activate the decode grain as soon as the silo runs, so /readyz turns ready without waiting for traffic.
        app.Lifetime.ApplicationStarted.Register(() => _ = WarmUpAsync(app.Services, options));
        return app;
    }

    private static async Task WarmUpAsync(IServiceProvider services, WorkerOptions options)
    {
        if ((options.Role & WorkerRole.Decode) == 0)
        {
            return;
        }

        // Its engine's first step would find no placement: start it once the expert shards hold their experts.
        await services.GetRequiredService<ExpertShardBootstrap>().WhenReady.ConfigureAwait(false);
        var backend = services.GetRequiredService<GrainGenerationBackend>();
        await backend.DecodeGrain.GetStatsAsync().ConfigureAwait(false);
    }
}

/// <summary>The JSON a worker's <c>GET /load</c> returns; the gateway's least-load policy reads it.</summary>
public sealed record WorkerLoadReport(int Running, int Waiting, double KvCacheUsage, long OutstandingTokens, bool Draining)
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
