using System.Text;

namespace Elastic.Training.Corpus;

/// <summary>Writes a generator's samples as UTF-8 text, one sample per line, up to a byte budget.</summary>
public static class CorpusWriter
{
    // No BOM: the trainer reads raw bytes and a BOM would become a stray token at the start of the corpus.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Creates or overwrites <paramref name="path"/>; stops at the first sample that reaches <paramref name="targetBytes"/>.</summary>
    public static CorpusStats Write(string path, CorpusGenerator gen, long targetBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        return Write(stream, gen, targetBytes);
    }

    /// <summary>Writes to <paramref name="stream"/>, which is left open.</summary>
    public static CorpusStats Write(Stream stream, CorpusGenerator gen, long targetBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(gen);
        ArgumentOutOfRangeException.ThrowIfNegative(targetBytes);

        var stats = new CorpusStats();
        using var writer = new StreamWriter(stream, Utf8, bufferSize: 1 << 16, leaveOpen: true);

        // '\n' explicitly: WriteLine would use Environment.NewLine and make the corpus platform-dependent.
        while (stats.TotalBytes < targetBytes)
        {
            var sample = gen.Next();
            writer.Write(sample.Text);
            writer.Write('\n');
            stats.Add(sample, Utf8.GetByteCount(sample.Text) + 1);
        }

        return stats;
    }
}
