using System.Globalization;
using Elastic.Inference.Tracing;
using ScottPlot;

namespace Elastic.Cli.Analysis;

/// <summary>Renders routing statistics as PNG heat-maps: co-activation per layer pair, expert load, domain usage.</summary>
internal static class RoutingPlots
{
    private const string FontName = "Elastic Plot Sans";

    // SkiaSharp's NoDependencies native build has no fontconfig, so without a registered font file
    // ScottPlot has no typeface to draw labels with. These are the usual places a sans font lives.
    private static readonly string[] FontCandidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
        "/Library/Fonts/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    private static readonly Lazy<string?> PlotFont = new(RegisterFont);

    /// <summary>Writes every plot into <paramref name="outputDirectory"/> (created if missing) and returns the PNG paths.</summary>
    public static IReadOnlyList<string> WriteAll(RoutingStatistics stats, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        var paths = new List<string>();

        foreach (var pair in stats.LayerPairs)
        {
            var path = Path.Combine(outputDirectory, Invariant($"coactivation_L{pair.FromLayer}_L{pair.ToLayer}.png"));
            WriteCoactivation(pair, stats.NumExperts, path);
            paths.Add(path);
        }

        if (stats.Layers.Count > 0)
        {
            var path = Path.Combine(outputDirectory, "expert_load.png");
            WriteExpertLoad(stats, path);
            paths.Add(path);
        }

        if (stats.Domains.Count > 0 && stats.Layers.Count > 0)
        {
            var path = Path.Combine(outputDirectory, "domain_usage.png");
            WriteDomainUsage(stats, path);
            paths.Add(path);
        }

        return paths;
    }

    private static void WriteCoactivation(LayerPairCoactivation pair, int numExperts, string path)
    {
        var cells = new double[numExperts, numExperts];
        for (var i = 0; i < numExperts; i++)
        {
            for (var j = 0; j < numExperts; j++)
            {
                cells[i, j] = pair.Conditional[i][j];
            }
        }

        var rowLabels = Enumerable.Range(0, numExperts).Select(i => Invariant($"{i}")).ToArray();
        var c = pair.Concentration;
        var title = Invariant($"P(expert j at L{pair.ToLayer} | expert i at L{pair.FromLayer}), {pair.Tokens:N0} tokens; mean max {c.MeanMaxConditional:0.###} (uniform {c.UniformBaseline:0.###}, ceiling {c.Ceiling:0.###})");
        Render(
            cells,
            rowLabels,
            title,
            xLabel: Invariant($"expert at layer {pair.ToLayer}"),
            yLabel: Invariant($"expert at layer {pair.FromLayer}"),
            colorLabel: "P(j | i)",
            path);
    }

    private static void WriteExpertLoad(RoutingStatistics stats, string path)
    {
        var cells = new double[stats.Layers.Count, stats.NumExperts];
        for (var l = 0; l < stats.Layers.Count; l++)
        {
            for (var e = 0; e < stats.NumExperts; e++)
            {
                cells[l, e] = stats.Layers[l].Fractions[e];
            }
        }

        var rowLabels = stats.Layers.Select(l => Invariant($"L{l.Layer}")).ToArray();
        var worst = stats.Layers.MaxBy(l => l.Balance.MaxOverMean)!;
        var title = Invariant($"Expert load fraction per layer (uniform {1.0 / stats.NumExperts:0.###}); worst max/mean {worst.Balance.MaxOverMean:0.##} at L{worst.Layer}");
        Render(cells, rowLabels, title, xLabel: "expert", yLabel: "layer", colorLabel: "share of token assignments", path);
    }

    private static void WriteDomainUsage(RoutingStatistics stats, string path)
    {
        // Layer-major stacking keeps each layer's domains adjacent, which is the comparison that
        // matters: do domains pick different experts at the same layer?
        var rows = new List<(string Label, IReadOnlyList<double> Fractions)>();
        foreach (var layer in stats.Layers)
        {
            foreach (var domain in stats.Domains)
            {
                var usage = domain.Layers.FirstOrDefault(u => u.Layer == layer.Layer);
                if (usage is { Tokens: > 0 })
                {
                    rows.Add((Invariant($"L{layer.Layer} {domain.Label}"), usage.Fractions));
                }
            }
        }

        if (rows.Count == 0)
        {
            rows.Add(("(no tokens)", new double[stats.NumExperts]));
        }

        var cells = new double[rows.Count, stats.NumExperts];
        for (var r = 0; r < rows.Count; r++)
        {
            for (var e = 0; e < stats.NumExperts; e++)
            {
                cells[r, e] = rows[r].Fractions[e];
            }
        }

        Render(
            cells,
            rows.Select(r => r.Label).ToArray(),
            "Expert usage per domain, all sparse layers stacked",
            xLabel: "expert",
            yLabel: "layer and domain",
            colorLabel: "share of the domain's token assignments",
            path);
    }

    /// <summary>Row 0 of <paramref name="cells"/> is drawn at the top, as a matrix is read.</summary>
    private static void Render(double[,] cells, string[] rowLabels, string title, string xLabel, string yLabel, string colorLabel, string path)
    {
        var rows = cells.GetLength(0);
        var columns = cells.GetLength(1);
        var cellPixels = Math.Clamp(720 / Math.Max(rows, columns), 4, 48);

        using var plot = new Plot();
        var font = PlotFont.Value;
        if (font is not null)
        {
            plot.Font.Set(font);
        }

        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Rectangle = new CoordinateRect(0, columns, 0, rows);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        var max = 0.0;
        foreach (var v in cells)
        {
            max = Math.Max(max, v);
        }

        heatmap.ManualRange = new ScottPlot.Range(0, max > 0 ? max : 1);

        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = colorLabel;

        plot.Axes.Bottom.TickGenerator = CellTicks(columns, c => c.ToString(CultureInfo.InvariantCulture), topDown: false);
        plot.Axes.Left.TickGenerator = CellTicks(rows, r => rowLabels[r], topDown: true);
        plot.Axes.SetLimits(0, columns, 0, rows);
        plot.Axes.Margins(0, 0);
        plot.Grid.IsVisible = false;
        plot.Title(title, size: 13);
        plot.XLabel(xLabel, size: 14);
        plot.YLabel(yLabel, size: 14);

        var longestRowLabel = rowLabels.Length == 0 ? 0 : rowLabels.Max(l => l.Length);
        var width = (columns * cellPixels) + 260 + (longestRowLabel * 7);
        var height = (rows * cellPixels) + 160;
        plot.SavePng(path, Math.Max(width, 720), Math.Max(height, 360));
    }

    private static ScottPlot.TickGenerators.NumericManual CellTicks(int count, Func<int, string> label, bool topDown)
    {
        // Cells span [i, i+1]; ticks sit at centres, thinned so labels never overlap.
        var every = Math.Max(1, (int)Math.Ceiling(count / 32.0));
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var i = 0; i < count; i += every)
        {
            var position = topDown ? count - i - 0.5 : i + 0.5;
            ticks.AddMajor(position, label(i));
        }

        return ticks;
    }

    private static string? RegisterFont()
    {
        foreach (var candidate in FontCandidates)
        {
            if (File.Exists(candidate))
            {
                Fonts.AddFontFile(FontName, candidate);
                return FontName;
            }
        }

        return null;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
