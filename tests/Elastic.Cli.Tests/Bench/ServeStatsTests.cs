using Elastic.Cli.Bench.Serve;

namespace Elastic.Cli.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class ServeStatsTests
{
    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(50, 5.5)]
    [InlineData(90, 9.1)]
    [InlineData(99, 9.91)]
    [InlineData(100, 10.0)]
    public void Percentile_InterpolatesBetweenRanks_LikeNumpy(double percentile, double expected)
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        Assert.Equal(expected, Percentiles.OfSorted(sorted, percentile), precision: 9);
    }

    [Fact]
    public void LatencySummary_SortsInput_AndReportsMeanMedianTails()
    {
        var summary = LatencySummary.Of([30, 10, 20, 40]);

        Assert.Equal(25, summary.Mean, precision: 9);
        Assert.Equal(25, summary.Median, precision: 9);
        Assert.Equal(37, summary.P90, precision: 9);
        Assert.Equal(39.7, summary.P99, precision: 9);
        Assert.Equal(4, summary.Count);
    }

    [Fact]
    public void LatencySummary_OfNothing_IsZeros() => Assert.Equal(LatencySummary.Empty, LatencySummary.Of([]));

    [Fact]
    public void Tpot_IsDecodeTimeOverTokensAfterTheFirst()
    {
        var outcome = new RequestOutcome(true, 10, 11, TtftMs: 100, E2eMs: 600, ItlMs: []);

        Assert.Equal(50, outcome.TpotMs, precision: 9);
        Assert.Equal(0, (outcome with { OutputTokens = 1 }).TpotMs);
    }

    [Fact]
    public void Report_ThroughputsAreOverWallTime_AndFailuresExcluded()
    {
        RequestOutcome[] outcomes =
        [
            new(true, 100, 10, 50, 500, [50, 50]),
            new(true, 100, 30, 70, 900, [10, 20, 30]),
            RequestOutcome.Failed(100, "HTTP 503"),
        ];

        var report = BenchmarkReport.Compute(outcomes, TimeSpan.FromSeconds(2), GoodputSlo.None);

        Assert.Equal(2, report.Completed);
        Assert.Equal(1, report.Failed);
        Assert.Equal(200, report.TotalInputTokens);
        Assert.Equal(40, report.TotalOutputTokens);
        Assert.Equal(1.0, report.RequestThroughput, precision: 9);
        Assert.Equal(20.0, report.OutputTokenThroughput, precision: 9);
        Assert.Equal(120.0, report.TotalTokenThroughput, precision: 9);
        Assert.Equal(60, report.TtftMs.Mean, precision: 9);
        Assert.Equal(5, report.ItlMs.Count);
        Assert.Null(report.Goodput);
    }

    [Fact]
    public void Goodput_CountsOnlyRequestsMeetingEverySlo()
    {
        var slo = GoodputSlo.Parse(["ttft:500 tpot:50", "e2e:5000"]);
        RequestOutcome[] outcomes =
        [
            new(true, 1, 11, TtftMs: 400, E2eMs: 800, ItlMs: []),   // tpot 40: good
            new(true, 1, 11, TtftMs: 600, E2eMs: 900, ItlMs: []),   // ttft over
            new(true, 1, 11, TtftMs: 100, E2eMs: 1100, ItlMs: []),  // tpot 100: over
            new(true, 1, 101, TtftMs: 100, E2eMs: 5100, ItlMs: []), // tpot 50 ok, e2e over
            RequestOutcome.Failed(1, "boom"),                        // failed never counts
        ];

        var report = BenchmarkReport.Compute(outcomes, TimeSpan.FromSeconds(4), slo);

        Assert.Equal(1, report.GoodRequests);
        Assert.Equal(0.25, report.Goodput!.Value, precision: 9);
    }

    [Theory]
    [InlineData("ttft")]
    [InlineData("ttft:abc")]
    [InlineData("ttft:-5")]
    [InlineData("queue:10")]
    public void Goodput_BadSpec_NamesTheOption(string spec)
    {
        var ex = Assert.Throws<ArgumentException>(() => GoodputSlo.Parse([spec]));

        Assert.Contains("--goodput", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Goodput_ParsesNamesCaseInsensitively()
    {
        Assert.Equal(new GoodputSlo(500, 50, 5000), GoodputSlo.Parse(["TTFT:500", "tpot:50", "e2el:5000"]));
    }

    [Fact]
    public void Table_ShowsEveryMetricAndGoodputWhenSlosAreGiven()
    {
        var slo = GoodputSlo.Parse(["ttft:500"]);
        var report = BenchmarkReport.Compute([new RequestOutcome(true, 10, 5, 100, 500, [100, 100, 100, 100])], TimeSpan.FromSeconds(1), slo) with { ClientCpuCores = 0.4321 };
        var settings = new ServeBenchSettings(new Uri("http://x/"), "m", 1, 10, 5, 0, 1, 1, null, 0, PromptMode.Ids, 10, true, null, slo, TimeSpan.FromSeconds(1));

        var table = ServeBenchCommand.FormatTable(report, settings);

        foreach (var row in new[] { "Successful requests:", "Failed requests:", "Request goodput (req/s) [ttft:500]:", "Output token throughput", "Total token throughput",
            "Mean TTFT (ms):", "P99 TTFT (ms):", "Median TPOT (ms):", "P90 ITL (ms):", "Mean E2EL (ms):" })
        {
            Assert.Contains(row, table, StringComparison.Ordinal);
        }

        Assert.Matches(@"Client CPU used \(cores\):\s+0\.43", table);
        Assert.DoesNotContain("Client CPU", ServeBenchCommand.FormatTable(report with { ClientCpuCores = null }, settings), StringComparison.Ordinal);
    }
}
