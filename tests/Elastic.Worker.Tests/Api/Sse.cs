using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Elastic.Worker.Tests.Api;

/// <summary>Test helpers for OpenAI-style requests and event streams.</summary>
internal static class Sse
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<HttpResponseMessage> PostStreamAsync(HttpClient client, string path, string json, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>Every event's data, checking the framing (<c>data: ...</c> followed by a blank line) on the way.</summary>
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var events = text[..^2].Split("\n\n");
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        return [.. events.Select(e => e["data: ".Length..])];
    }

    /// <summary>The next event's data from a stream being read incrementally.</summary>
    public static async Task<string?> ReadEventAsync(StreamReader reader, CancellationToken ct)
    {
        var line = await reader.ReadLineAsync(ct);
        if (line is null)
        {
            return null;
        }

        Assert.StartsWith("data: ", line, StringComparison.Ordinal);
        Assert.Equal("", await reader.ReadLineAsync(ct));
        return line["data: ".Length..];
    }

    public static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) => Parse(await response.Content.ReadAsStringAsync());
}
