using System.Net;
using System.Text.Json;
using Xunit.Sdk;

namespace Elastic.Gateway.Tests.TestSupport;

/// <summary>Waits on a condition with a deadline instead of sleeping a guessed time.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);
}

/// <summary>Assertions on OpenAI's error object.</summary>
internal static class OpenAiErrorAssert
{
    public static async Task<JsonElement> IsErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = document.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _), "error.param is present (null allowed)");
        Assert.True(error.TryGetProperty("code", out var codeElement), "error.code is present (null allowed)");
        if (code is not null)
        {
            Assert.Equal(code, codeElement.GetString());
        }

        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        return error.Clone();
    }
}
