using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Cli.Tests.Cluster;

/// <summary>
/// Workers leaving a live multi-process cluster: a decode worker stopped gracefully drains and leaves routing; a
/// prefill or expert process killed outright makes in-flight requests end (succeed, or fail with a clear error),
/// never hang. One cluster, three events in turn, since each start costs half a minute on two cores.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ServingProcesses.Name)]
public sealed class ClusterFaultTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Cluster_DrainsAStoppedDecoder_AndEndsRequestsWhenPrefillOrExpertProcessesDie()
    {
        using var dir = new TempDirectory();
        TinyServedCheckpoint.Write(dir.Path);
        var model = Path.GetFileName(dir.Path);
        await using var up = await UpProcess.StartAsync("--model", dir.Path, "--decode-workers", "2");
        var gateway = up.GatewayUrl;
        await ClusterRequests.WaitForAsync(async () => (int)(await ClusterRequests.GetJsonAsync(gateway + "/readyz"))["liveWorkers"]! == 2, TimeSpan.FromSeconds(60), "gateway routes to both decoders");

        // 1. SIGTERM to a decoder while streams run on it: they all finish, it exits by itself and leaves routing.
        var streams = Enumerable.Range(0, 6).Select(i => ClusterRequests.CompleteAsync(gateway, model, $"{i}+{i}=", 200, stream: true, ignoreEos: true)).ToList();
        string? busy = null;
        await ClusterRequests.WaitForAsync(
            async () =>
            {
                foreach (var name in (string[])["decode-1", "decode-2"])
                {
                    if ((int)(await ClusterRequests.GetJsonAsync(up.UrlOf(name) + "/load"))["running"]! > 0)
                    {
                        busy = name;
                        return true;
                    }
                }

                return false;
            },
            TimeSpan.FromSeconds(30),
            "a decoder runs requests\n" + up.Log);
        up.Signal(busy!, "TERM");
        var drained = await Task.WhenAll(streams).WaitAsync(NoHang);
        Assert.All(drained, r => Assert.True(r.Succeeded && r.FinishReason == "length", $"{r} (SIGTERM went to {busy})\n{up.Problems("decode-1")}\n{up.Problems("decode-2")}"));
        await ClusterRequests.WaitForAsync(() => Task.FromResult(!UpProcess.IsRunning(up.Children[busy!].Pid)), TimeSpan.FromSeconds(60), busy + " exits");
        await ClusterRequests.WaitForAsync(async () => (int)(await ClusterRequests.GetJsonAsync(gateway + "/readyz"))["workers"]! == 1, TimeSpan.FromSeconds(60), "gateway drops " + busy);
        var next = await ClusterRequests.CompleteAsync(gateway, model, "1+1=", 8, stream: true);
        Assert.True(next.Succeeded, $"after {busy} left: {next}\n{up.Log}");
        Assert.Contains($"[{busy}] ", up.Log, StringComparison.Ordinal);
        Assert.Contains("Drained after", up.Log, StringComparison.Ordinal);

        // 2. SIGKILL to the prefill process while requests arrive: each ends, none hangs; later ones succeed again
        //    (the decoder prefills locally once the cluster declares the prefill silo dead).
        var arriving = new List<Task<Outcome>>();
        for (var i = 0; i < 8; i++)
        {
            arriving.Add(ClusterRequests.CompleteAsync(gateway, model, $"{i}+2=", 16, stream: i % 2 == 0));
            if (i == 3)
            {
                up.Signal("prefill-1", "KILL");
            }

            await Task.Delay(250);
        }

        AssertEndedCleanly(await Task.WhenAll(arriving).WaitAsync(NoHang));
        Outcome? last = null;
        await ClusterRequests.WaitForAsync(
            async () => (last = await ClusterRequests.CompleteAsync(gateway, model, "3+4=", 8, stream: false).WaitAsync(NoHang)).Succeeded,
            TimeSpan.FromSeconds(120), () => $"requests succeed again after the prefill process died (last: {last})\n{up.Problems("decode-1")}\n{up.Problems("decode-2")}");

        // 3. SIGKILL to an expert process with streams in flight: each ends (success or clear error) within bounds.
        var inFlight = Enumerable.Range(0, 4).Select(i => ClusterRequests.CompleteAsync(gateway, model, $"{i}*3=", 100, stream: true, ignoreEos: true)).ToList();
        await Task.Delay(500);
        up.Signal("expert-2", "KILL");
        AssertEndedCleanly(await Task.WhenAll(inFlight).WaitAsync(NoHang));
        var after = await ClusterRequests.CompleteAsync(gateway, model, "5+5=", 8, stream: false).WaitAsync(NoHang);
        Assert.True(after.Succeeded || after.Status >= 500, after.ToString());
    }

    /// <summary>Every request succeeded, or failed with a 5xx status or an error event carrying a message.</summary>
    private static void AssertEndedCleanly(Outcome[] outcomes) =>
        Assert.All(outcomes, o => Assert.True(
            o.Succeeded || (o.Status >= 500 && !string.IsNullOrWhiteSpace(o.Error)) || (o.Status == 200 && !string.IsNullOrWhiteSpace(o.Error)),
            o.ToString()));
}
