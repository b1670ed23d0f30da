using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Elastic.Cli.Tests.Cluster;

/// <summary>How one request ended, as a client saw it.</summary>
internal sealed record Outcome(int Status, string? FinishReason, string Text, string? Error)
{
    public bool Succeeded => Status == 200 && Error is null && FinishReason is not null;
}

/// <summary>Raw-HTTP OpenAI completions against a gateway, streamed or not, reporting how each ended.</summary>
internal static class ClusterRequests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<Outcome> CompleteAsync(string baseUrl, string model, string prompt, int maxTokens, bool stream, bool ignoreEos = false)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["prompt"] = prompt,
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = stream,
            ["ignore_eos"] = ignoreEos,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/completions") { Content = JsonContent.Create(body) };
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var status = (int)response.StatusCode;
        if (!stream || status != 200)
        {
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return status == 200
                ? new Outcome(status, (string?)json["choices"]![0]!["finish_reason"], (string?)json["choices"]![0]!["text"] ?? "", null)
                : new Outcome(status, null, "", (string?)json["error"]?["message"] ?? "no error object");
        }

        string? finish = null;
        string? error = null;
        var text = "";
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
            {
                continue;
            }

            var chunk = JsonNode.Parse(line["data: ".Length..])!;
            if (chunk["error"] is { } e)
            {
                error = (string?)e["message"];
                continue;
            }

            text += (string?)chunk["choices"]![0]!["text"];
            finish ??= (string?)chunk["choices"]![0]!["finish_reason"];
        }

        return new Outcome(status, finish, text, error);
    }

    public static async Task<JsonNode> GetJsonAsync(string url) => JsonNode.Parse(await Http.GetStringAsync(url))!;

    public static Task<string> GetTextAsync(string url) => Http.GetStringAsync(url);

    /// <summary>Polls <paramref name="condition"/> until true; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) => WaitForAsync(condition, timeout, () => what);

    /// <summary>As above, with the failure message built when the wait fails.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not answering yet
            }

            Assert.True(DateTime.UtcNow < deadline, $"{what()} within {timeout.TotalSeconds:F0} s");
            await Task.Delay(200);
        }
    }
}
