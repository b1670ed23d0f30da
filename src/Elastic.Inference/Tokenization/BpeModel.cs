using System.Globalization;
using System.Text;

namespace Elastic.Inference.Tokenization;

/// <summary>The BPE model of a tokenizer.json: vocabulary, ranked merges, unknown and byte-fallback handling.</summary>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly int[]? _byteTokenIds;

    public BpeModel(
        Dictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        string? unkToken,
        bool fuseUnk,
        bool byteFallback,
        bool ignoreMerges,
        string file)
    {
        _vocab = vocab;
        _fuseUnk = fuseUnk;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        if (unkToken is not null)
        {
            if (!vocab.TryGetValue(unkToken, out var unk))
            {
                throw new Configuration.CheckpointException(file, null, $"model.unk_token '{unkToken}' is not in model.vocab");
            }

            _unkId = unk;
        }

        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out var a) || !vocab.TryGetValue(right, out var b))
            {
                throw new Configuration.CheckpointException(file, null, $"merge {rank} ('{left} {right}') uses a token that is not in model.vocab");
            }

            if (!vocab.TryGetValue(left + right, out var merged))
            {
                throw new Configuration.CheckpointException(file, null, $"merge {rank} ('{left} {right}') produces '{left + right}', which is not in model.vocab");
            }

            // The first occurrence wins, as in Hugging Face where later duplicates never fire.
            _merges.TryAdd(Key(a, b), (rank, merged));
        }

        if (byteFallback)
        {
            _byteTokenIds = new int[256];
            for (var i = 0; i < 256; i++)
            {
                _byteTokenIds[i] = vocab.TryGetValue(ByteTokenName((byte)i), out var id) ? id : -1;
            }
        }
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>The name byte-fallback vocabularies give a raw byte, e.g. "&lt;0x0A&gt;".</summary>
    public static string ByteTokenName(byte value) => string.Create(CultureInfo.InvariantCulture, $"<0x{value:X2}>");

    /// <summary>Parses "&lt;0xNN&gt;"; the inverse of <see cref="ByteTokenName"/>.</summary>
    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Encodes one pre-tokenized word, appending ids.</summary>
    public void EncodeWord(string word, List<int> output)
    {
        if (word.Length == 0)
        {
            return;
        }

        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }

        var symbols = InitialSymbols(word);
        if (symbols.Count > 1 && _merges.Count > 0)
        {
            MergeAll(symbols);
        }

        output.AddRange(symbols);
    }

    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        int? pendingUnk = null;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < word.Length;)
        {
            // Hugging Face walks Unicode scalar values, so a surrogate pair is one symbol.
            var len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var piece = word.Substring(i, len);
            i += len;
            if (_vocab.TryGetValue(piece, out var id))
            {
                if (pendingUnk is { } unk)
                {
                    symbols.Add(unk);
                    pendingUnk = null;
                }

                symbols.Add(id);
                continue;
            }

            if (_byteTokenIds is not null && TryAddBytes(piece, symbols, utf8))
            {
                continue;
            }

            if (_unkId is { } unkId)
            {
                if (pendingUnk is not null && !_fuseUnk)
                {
                    symbols.Add(pendingUnk.Value);
                }

                pendingUnk = unkId;
            }
        }

        if (pendingUnk is { } last)
        {
            symbols.Add(last);
        }

        return symbols;
    }

    private bool TryAddBytes(string piece, List<int> symbols, Span<byte> utf8)
    {
        var rune = Rune.GetRuneAt(piece, 0);
        var n = rune.EncodeToUtf8(utf8);
        for (var k = 0; k < n; k++)
        {
            if (_byteTokenIds![utf8[k]] < 0)
            {
                return false;
            }
        }

        for (var k = 0; k < n; k++)
        {
            symbols.Add(_byteTokenIds![utf8[k]]);
        }

        return true;
    }

    private void MergeAll(List<int> symbols)
    {
        // Doubly linked symbols plus a (rank, position) heap: the lowest rank merges first and, among equal
        // ranks, the leftmost, exactly like Hugging Face's Word::merge_all.
        var n = symbols.Count;
        var ids = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        for (var i = 0; i < n; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            alive[i] = true;
        }

        var queue = new PriorityQueue<(int Pos, int NewId), long>();
        for (var i = 0; i + 1 < n; i++)
        {
            Push(queue, i, ids[i], ids[i + 1]);
        }

        while (queue.TryDequeue(out var item, out _))
        {
            var pos = item.Pos;
            if (!alive[pos] || next[pos] < 0)
            {
                continue;
            }

            var right = next[pos];
            if (!_merges.TryGetValue(Key(ids[pos], ids[right]), out var merge) || merge.NewId != item.NewId)
            {
                continue;
            }

            ids[pos] = merge.NewId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = pos;
            }

            if (prev[pos] >= 0)
            {
                Push(queue, prev[pos], ids[prev[pos]], ids[pos]);
            }

            if (next[pos] >= 0)
            {
                Push(queue, pos, ids[pos], ids[next[pos]]);
            }
        }

        symbols.Clear();
        for (var i = 0; i >= 0 && i < n; i = next[i])
        {
            symbols.Add(ids[i]);
        }
    }

    private void Push(PriorityQueue<(int Pos, int NewId), long> queue, int pos, int left, int right)
    {
        if (_merges.TryGetValue(Key(left, right), out var merge))
        {
            queue.Enqueue((pos, merge.NewId), ((long)merge.Rank << 32) | (uint)pos);
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
