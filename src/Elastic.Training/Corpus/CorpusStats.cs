using System.Globalization;
using System.Text;

namespace Elastic.Training.Corpus;

/// <summary>Running sample and UTF-8 byte counts per domain, for logging what a corpus actually contains.</summary>
public sealed class CorpusStats
{
    private static readonly CorpusDomain[] Domains = Enum.GetValues<CorpusDomain>();

    private readonly long[] _samples = new long[Domains.Length];
    private readonly long[] _bytes = new long[Domains.Length];

    public long TotalSamples { get; private set; }

    /// <summary>UTF-8 bytes including each sample's terminating newline, i.e. the size on disk.</summary>
    public long TotalBytes { get; private set; }

    public long Samples(CorpusDomain domain) => _samples[(int)domain];

    public long Bytes(CorpusDomain domain) => _bytes[(int)domain];

    /// <summary>Counts <paramref name="sample"/> as <paramref name="bytes"/> bytes on disk.</summary>
    public void Add(CorpusSample sample, long bytes)
    {
        ArgumentNullException.ThrowIfNull(sample);
        _samples[(int)sample.Domain]++;
        _bytes[(int)sample.Domain] += bytes;
        TotalSamples++;
        TotalBytes += bytes;
    }

    /// <summary>Counts <paramref name="sample"/> as its UTF-8 length plus a newline.</summary>
    public void Add(CorpusSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        Add(sample, Encoding.UTF8.GetByteCount(sample.Text) + 1);
    }

    public static CorpusStats Of(IEnumerable<CorpusSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var stats = new CorpusStats();
        foreach (var sample in samples)
        {
            stats.Add(sample);
        }

        return stats;
    }

    /// <summary>One line, e.g. <c>20000 samples, 1.0 MB; Arithmetic 30.1% of samples / 6.2% of bytes; ...</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{TotalSamples} samples, {TotalBytes / 1_000_000.0:F1} MB");
        foreach (var domain in Domains)
        {
            sb.Append(
                CultureInfo.InvariantCulture,
                $"; {domain} {Share(Samples(domain), TotalSamples):F1}% of samples / {Share(Bytes(domain), TotalBytes):F1}% of bytes");
        }

        return sb.ToString();
    }

    private static double Share(long part, long total) => total == 0 ? 0 : 100.0 * part / total;
}
