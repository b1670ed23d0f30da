using Elastic.Abstractions.Grains;
using Elastic.Inference.Sampling;
using Elastic.Worker.Api;

namespace Elastic.Worker.Tests.Grains;

/// <summary>Steps the decode-grain tests share: a client that walks away mid-generation, and waiting for an idle engine.</summary>
internal static class DecodeGrainProbe
{
    /// <summary>Streams a long greedy generation and cancels it after <paramref name="updates"/> updates; the stream must end cancelled.</summary>
    public static async Task CancelAfterAsync(IGenerationBackend backend, int updates)
    {
        var prompt = backend.EncodePrompt("the quick brown fox");
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 200, IgnoreEos = true };
        using var cancel = new CancellationTokenSource();
        var received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in backend.GenerateAsync(prompt, sampling, cancel.Token))
            {
                if (++received == updates)
                {
                    await cancel.CancelAsync();
                }
            }
        });
    }

    /// <summary>The grain's stats once nothing runs, waits or holds KV cache, or after 30 s (the caller asserts).</summary>
    public static async Task<DecodeStats> WaitForIdleAsync(IDecodeGrain grain)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        DecodeStats stats;
        while ((stats = await grain.GetStatsAsync()) is not { Running: 0, Waiting: 0, KvCacheUsage: 0 } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return stats;
    }
}
