using System.Net;
using Elastic.Worker.Api;
using Elastic.Worker.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Elastic.Worker.Tests.Api;

/// <summary>A real Kestrel server on a free loopback port serving <see cref="OpenAiEndpoints"/> and /metrics over a given backend.</summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiHost(WebApplication app, Uri baseAddress, ServingMetrics metrics)
    {
        _app = app;
        BaseAddress = baseAddress;
        Metrics = metrics;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }

    public ServingMetrics Metrics { get; }

    public HttpClient Client { get; }

    public static async Task<ApiHost> StartAsync(IGenerationBackend backend, ServingMetrics? metrics = null)
    {
        metrics ??= new ServingMetrics(Prometheus.Metrics.NewCustomRegistry());
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(backend);
        builder.Services.AddSingleton(metrics);
        var app = builder.Build();
        app.MapOpenAi();
        app.MapServingMetrics(metrics);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ApiHost(app, new Uri(address.TrimEnd('/') + "/"), metrics);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
