using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.Destinations;
using Microsoft.AspNetCore.Builder;

namespace Elastic.Gateway.Tests.TestSupport;

/// <summary>The gateway on real Kestrel at 127.0.0.1:0, with a client pointed at it.</summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    /// <summary>
    /// Options with fast polling so liveness settles within a test's patience, and a patient poll timeout so a loaded
    /// test machine does not mark a healthy fake worker dead (a stopped one refuses connections at once).
    /// </summary>
    public static GatewayOptions FastOptions(params FakeWorker[] workers)
    {
        var options = new GatewayOptions
        {
            ListenUrl = "http://127.0.0.1:0",
            LoadPollInterval = TimeSpan.FromMilliseconds(50),
            LoadPollTimeout = TimeSpan.FromSeconds(10),
            DeadAfterFailedPolls = 3,
        };
        foreach (var w in workers)
        {
            options.Workers.Add(w.Address.ToString());
        }

        return options;
    }

    public static async Task<GatewayHost> StartAsync(GatewayOptions options, IWorkerDirectory? directory = null)
    {
        var app = GatewayApp.Build(options, directory);
        await app.StartAsync();
        return new GatewayHost(app, new Uri(app.Urls.First()));
    }

    public async Task WaitForLiveWorkersAsync(int count)
    {
        await Eventually.TrueAsync(async () =>
        {
            using var response = await Client.GetAsync("/readyz");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return body.GetProperty("liveWorkers").GetInt32() == count;
        }, $"{count} live worker(s) at /readyz");
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<HttpResponseMessage> CompleteAsync(string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json("""{"model":"tiny","prompt":"hi","max_tokens":4}""") };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new("Bearer", apiKey);
        }

        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
