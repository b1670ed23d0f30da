using System.Buffers.Binary;
using Elastic.Cli.Analysis;
using Elastic.Inference.Experts;
using Elastic.Inference.Tests.TestCheckpoints;
using Elastic.Inference.Tracing;

namespace Elastic.Cli.Tests.Analysis;

[Trait("Category", "Unit")]
public sealed class RoutingPlotsTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void WriteAll_RendersOneValidPngPerPlot()
    {
        const int experts = 8;
        var collector = new RoutingStatisticsCollector(experts);
        collector.Label(1, "arithmetic");
        collector.Label(2, "json");
        var random = new Random(3);
        for (var step = 0; step < 4; step++)
        {
            RowOrigin[] rows = [.. Enumerable.Range(0, 24).Select(r => new RowOrigin((r % 3) + 1, (step * 8) + (r / 3)))];

            // Layer 1 is dense, so the sparse pairs are (0, 2) and (2, 3).
            foreach (var layer in new[] { 0, 2, 3 })
            {
                var ids = rows.SelectMany(row =>
                {
                    var first = (row.SequenceId + layer + random.Next(3)) % experts;
                    return new[] { first, (first + 1 + random.Next(experts - 1)) % experts };
                }).ToArray();
                collector.OnLayerRouted(step, rows, ExpertRouting.Create(layer, experts, 2, ids, [.. ids.Select(_ => 0.5f)]));
            }
        }

        using var output = new TempDirectory("routing-plots");
        var paths = RoutingPlots.WriteAll(collector.Snapshot(), output.Combine("plots"));

        Assert.Equal(
            ["coactivation_L0_L2.png", "coactivation_L2_L3.png", "expert_load.png", "domain_usage.png"],
            paths.Select(Path.GetFileName));
        Assert.All(paths, path =>
        {
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 1000, $"{path} is only {bytes.Length} bytes");
            Assert.Equal(PngSignature, bytes[..8]);
            Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
            var width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
            var height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
            Assert.InRange(width, 360, 4000);
            Assert.InRange(height, 300, 4000);
        });
    }

    [Fact]
    public void WriteAll_WithNoTraces_WritesNothing()
    {
        using var output = new TempDirectory("routing-plots");

        var paths = RoutingPlots.WriteAll(new RoutingStatisticsCollector(4).Snapshot(), output.Path);

        Assert.Empty(paths);
    }
}
