namespace Elastic.Inference.Tokenization;

/// <summary>The merge loop of BPE training: pair counts, pair → words index, and a lazily corrected max-heap.</summary>
internal sealed class BpePairMerger
{
    private readonly List<string> _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly List<List<int>> _words = [];
    private readonly List<long> _wordCounts = [];
    private readonly Dictionary<long, long> _pairCounts = [];
    private readonly Dictionary<long, HashSet<int>> _pairWords = [];
    private readonly PriorityQueue<long, (long Count, int Left, int Right)> _heap;

    public BpePairMerger(List<string> tokens, Dictionary<string, long> wordCounts)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            _ids.TryAdd(tokens[i], i);
        }

        _heap = new PriorityQueue<long, (long Count, int Left, int Right)>(Comparer<(long Count, int Left, int Right)>.Create(ComparePriority));

        // Sorted so the word table, and with it every tie, is independent of dictionary order.
        foreach (var (word, count) in wordCounts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var symbols = new List<int>(word.Length);
            foreach (var c in word)
            {
                symbols.Add(_ids[c.ToString()]);
            }

            var index = _words.Count;
            _words.Add(symbols);
            _wordCounts.Add(count);
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                AddPair(symbols[i], symbols[i + 1], count, index);
            }
        }

        foreach (var (pair, count) in _pairCounts)
        {
            _heap.Enqueue(pair, (count, Left(pair), Right(pair)));
        }
    }

    /// <summary>Adds merged tokens to the token list and returns the merges in rank order.</summary>
    public List<(string Left, string Right)> Run(int vocabSize, int minFrequency)
    {
        var merges = new List<(string, string)>();
        var touched = new HashSet<long>();
        while (_ids.Count < vocabSize && _heap.TryDequeue(out var pair, out var priority))
        {
            var current = _pairCounts.GetValueOrDefault(pair);
            if (current != priority.Count)
            {
                // Stale entry: requeue with the true count so ordering stays exact.
                if (current > 0)
                {
                    _heap.Enqueue(pair, (current, priority.Left, priority.Right));
                }

                continue;
            }

            if (current < minFrequency)
            {
                break;
            }

            var left = Left(pair);
            var right = Right(pair);
            var merged = _tokens[left] + _tokens[right];
            if (!_ids.TryGetValue(merged, out var newId))
            {
                newId = _tokens.Count;
                _tokens.Add(merged);
                _ids.Add(merged, newId);
            }

            merges.Add((_tokens[left], _tokens[right]));
            touched.Clear();
            if (_pairWords.Remove(pair, out var wordIndices))
            {
                foreach (var index in wordIndices)
                {
                    MergeInWord(index, left, right, newId, touched);
                }
            }

            _pairCounts.Remove(pair);
            foreach (var changed in touched)
            {
                if (changed != pair && _pairCounts.GetValueOrDefault(changed) > 0)
                {
                    _heap.Enqueue(changed, (_pairCounts[changed], Left(changed), Right(changed)));
                }
            }
        }

        return merges;
    }

    private void MergeInWord(int index, int left, int right, int newId, HashSet<long> touched)
    {
        var symbols = _words[index];
        var count = _wordCounts[index];
        for (var i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] != left || symbols[i + 1] != right)
            {
                continue;
            }

            if (i > 0)
            {
                AddPair(symbols[i - 1], left, -count, index);
                AddPair(symbols[i - 1], newId, count, index);
                touched.Add(Key(symbols[i - 1], newId));
            }

            if (i + 2 < symbols.Count)
            {
                AddPair(right, symbols[i + 2], -count, index);
                AddPair(newId, symbols[i + 2], count, index);
                touched.Add(Key(newId, symbols[i + 2]));
            }

            symbols[i] = newId;
            symbols.RemoveAt(i + 1);
        }
    }

    private void AddPair(int left, int right, long delta, int wordIndex)
    {
        var key = Key(left, right);
        _pairCounts[key] = _pairCounts.GetValueOrDefault(key) + delta;
        if (delta > 0)
        {
            if (!_pairWords.TryGetValue(key, out var set))
            {
                set = [];
                _pairWords[key] = set;
            }

            set.Add(wordIndex);
        }
    }

    private int ComparePriority((long Count, int Left, int Right) a, (long Count, int Left, int Right) b)
    {
        // Highest count first; ties go to the ordinally smallest (left, right) strings.
        var byCount = b.Count.CompareTo(a.Count);
        if (byCount != 0)
        {
            return byCount;
        }

        var byLeft = string.CompareOrdinal(_tokens[a.Left], _tokens[b.Left]);
        return byLeft != 0 ? byLeft : string.CompareOrdinal(_tokens[a.Right], _tokens[b.Right]);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static int Left(long key) => (int)(key >> 32);

    private static int Right(long key) => (int)(key & 0xFFFFFFFF);
}
