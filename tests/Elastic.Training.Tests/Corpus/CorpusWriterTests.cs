using System.Diagnostics;
using System.Text;
using Elastic.Training.Corpus;
using Xunit.Abstractions;

namespace Elastic.Training.Tests.Corpus;

public sealed class CorpusWriterTests(ITestOutputHelper output)
{
    [Fact]
    public void Write_File_ReachesTargetAndMatchesStats()
    {
        var path = Path.Combine(Path.GetTempPath(), $"corpus-{Guid.NewGuid():N}.txt");
        try
        {
            var stats = CorpusWriter.Write(path, new CorpusGenerator(8), 100_000);
            var bytes = File.ReadAllBytes(path);

            Assert.Equal(stats.TotalBytes, bytes.LongLength);
            Assert.InRange(stats.TotalBytes, 100_000, 100_000 + CorpusGenerator.MaxSampleLength + 1);
            Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), "file must not start with a BOM");
            Assert.Equal((byte)'\n', bytes[^1]);
            Assert.DoesNotContain((byte)'\r', bytes);

            var lines = Encoding.UTF8.GetString(bytes).TrimEnd('\n').Split('\n');
            Assert.Equal(stats.TotalSamples, lines.LongLength);
            Assert.Equal(stats.TotalSamples, Enum.GetValues<CorpusDomain>().Sum(stats.Samples));
            Assert.Equal(stats.TotalBytes, Enum.GetValues<CorpusDomain>().Sum(stats.Bytes));

            // Same generator state, same text: the file is the generator's stream verbatim.
            var expected = new CorpusGenerator(8).Take(lines.Length).Select(s => s.Text);
            Assert.Equal(expected, lines);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Write_ZeroTarget_WritesNothing()
    {
        using var stream = new MemoryStream();
        var stats = CorpusWriter.Write(stream, new CorpusGenerator(1), 0);

        Assert.Equal(0, stats.TotalSamples);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Stats_ToString_ListsEveryDomain()
    {
        var stats = CorpusStats.Of(new CorpusGenerator(9).Take(1_000));
        var text = stats.ToString();

        Assert.Equal(1_000, stats.TotalSamples);
        Assert.All(Enum.GetValues<CorpusDomain>(), d => Assert.Contains(d.ToString(), text, StringComparison.Ordinal));
        output.WriteLine(text);
    }

    [Fact]
    public void Write_OneMegabyte_ReportsThroughput()
    {
        // Reported, not asserted: timing assertions flake on shared CI runners.
        using var stream = new MemoryStream();
        var watch = Stopwatch.StartNew();
        var stats = CorpusWriter.Write(stream, new CorpusGenerator(10), 1_000_000);
        watch.Stop();

        Assert.True(stream.Length >= 1_000_000);
        output.WriteLine($"1 MB in {watch.ElapsedMilliseconds} ms; {stats}");
    }
}
