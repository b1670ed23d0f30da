using Elastic.Inference.Caching;
using Elastic.Inference.Modeling;

namespace Elastic.Inference.Engine;

/// <summary>
/// What one iteration runs: the chunks to forward, each tied to its sequence, and the sequences admitted with an
/// imported (handed-over) KV cache, whose first token is emitted without a forward pass.
/// </summary>
internal sealed record StepPlan(IReadOnlyList<(Sequence Sequence, ForwardChunk Chunk)> Items, IReadOnlyList<Sequence> Imported)
{
    public int Tokens => Items.Sum(i => i.Chunk.Tokens.Length);
}

/// <summary>
/// Iteration-level (continuous) batching: every running sequence decodes one token per step, prompts
/// are prefilled in chunks with the token budget left over, and waiting sequences are admitted in
/// arrival order when their KV reservation fits. Not thread-safe: the engine serialises access.
/// </summary>
/// <remarks>
/// KV memory is reserved as sequences grow, not for their whole max_tokens up front (a chat request without
/// max_tokens may run to the end of the context, and reserving all of it would let a handful of requests fill the
/// budget): admission reserves the prompt plus <see cref="ReserveAhead"/> tokens, and a sequence that reaches its
/// reservation takes half as much again. When the budget cannot give it that, the newest running sequence is
/// preempted as vLLM does (its cache is freed, it goes back to the head of the queue and later recomputes its prompt
/// and generated tokens in one prefill), and so on until the growth fits or the growing sequence is itself the newest.
/// A sequence is admitted only if its whole length fits the budget alone, so the oldest one always completes.
/// </remarks>
internal sealed class Scheduler(EngineOptions options, KvCacheManager kvCache)
{
    /// <summary>Tokens reserved beyond what a sequence holds, at admission and at least at each growth.</summary>
    public const int ReserveAhead = 64;

    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];

    public int Waiting => _waiting.Count;

    public int Running => _running.Count;

    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;

    /// <summary>Preemptions since start (sequences that gave up their cache so that older ones could grow).</summary>
    public long Preemptions { get; private set; }

    /// <summary>Tokens still to compute: unprefilled prompt tokens plus the most each sequence may still generate (load-aware routing uses it).</summary>
    public long OutstandingTokens =>
        _running.Sum(s => (long)s.MaxTotalTokens - s.Computed) + _waiting.Sum(s => (long)s.MaxTotalTokens);

    /// <summary>
    /// Queues a sequence, or refuses it as overload when the queue holds <see cref="EngineOptions.MaxWaitingSequences"/>
    /// beyond the running slots still free (a burst that the next step admits is not turned away). The bound holds
    /// whatever stops admission: a KV budget that is full while slots are free no longer lets the queue grow without end.
    /// </summary>
    public void Enqueue(Sequence sequence)
    {
        var freeSlots = Math.Max(0, options.MaxRunningSequences - _running.Count);
        if (_waiting.Count >= (long)options.MaxWaitingSequences + freeSlots)
        {
            throw new EngineOverloadedException(
                $"engine overloaded: {_running.Count} sequences running and {_waiting.Count} waiting (limit {options.MaxWaitingSequences} waiting beyond {freeSlots} free running slots)");
        }

        _waiting.AddLast(sequence);
    }

    /// <summary>Removes a sequence wherever it is and frees its cache; false if unknown.</summary>
    public bool Remove(long id)
    {
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (node.Value.Id == id)
            {
                _waiting.Remove(node);
                return true;
            }
        }

        var index = _running.FindIndex(s => s.Id == id);
        if (index < 0)
        {
            return false;
        }

        _running[index].Release();
        _running.RemoveAt(index);
        return true;
    }

    public StepPlan Schedule()
    {
        var items = new List<(Sequence, ForwardChunk)>();
        var imported = new List<Sequence>();
        var budget = options.MaxBatchedTokens;

        // Decode first: a step never waits for a long prompt to finish prefilling. Oldest first, so growth preempts
        // only sequences not yet scheduled in this step.
        foreach (var s in _running.Where(s => s.IsPrefilled).ToList())
        {
            if (budget == 0)
            {
                break;
            }

            if (s.Cache is null || !ReserveFor(s, s.Computed + 1))
            {
                continue;
            }

            items.Add((s, new ForwardChunk(s.Id, s.Cache!, s.Pending(1), LogitsWanted.LastToken)));
            budget--;
        }

        foreach (var s in _running.Where(s => !s.IsPrefilled))
        {
            if (budget == 0)
            {
                break;
            }

            items.Add(PrefillChunk(s, ref budget));
        }

        while (budget > 0 && _waiting.First is { } node && _running.Count < options.MaxRunningSequences)
        {
            var s = node.Value;
            var cache = kvCache.TryAllocate(Math.Min(s.MaxTotalTokens, s.PrefillTarget + ReserveAhead));
            if (cache is null)
            {
                break;
            }

            _waiting.RemoveFirst();
            s.Cache = cache;
            _running.Add(s);
            s.MarkAdmitted();
            if (s.Request.Prefilled is { } handOff && s.Preemptions == 0)
            {
                // Prefilled elsewhere: the cache holds the whole prompt now, and the sequence decodes from the next step.
                cache.Import(handOff.KvCache);
                imported.Add(s);
                continue;
            }

            items.Add(PrefillChunk(s, ref budget));
        }

        return new StepPlan(items, imported);
    }

    /// <summary>
    /// Makes the reservation of <paramref name="s"/> hold <paramref name="tokens"/>, preempting the newest running
    /// sequences while the budget is short; false when <paramref name="s"/> was the newest and was preempted itself.
    /// </summary>
    private bool ReserveFor(Sequence s, int tokens)
    {
        var cache = s.Cache!;
        if (tokens <= cache.ReservedTokens)
        {
            return true;
        }

        var ahead = Math.Min(s.MaxTotalTokens, Math.Max(tokens, cache.ReservedTokens + Math.Max(ReserveAhead, cache.ReservedTokens / 2)));
        while (!cache.TryReserve(ahead) && !cache.TryReserve(tokens))
        {
            var victim = _running[^1];
            Preempt(victim);
            if (ReferenceEquals(victim, s))
            {
                return false;
            }
        }

        return true;
    }

    private void Preempt(Sequence s)
    {
        s.Preempt();
        _running.Remove(s);
        _waiting.AddFirst(s);
        Preemptions++;
    }

    /// <summary>Drops a finished sequence from the running set and frees its cache.</summary>
    public void Finish(Sequence sequence)
    {
        sequence.Release();
        _running.Remove(sequence);
    }

    /// <summary>Frees every sequence (engine shutdown).</summary>
    public IReadOnlyList<Sequence> Clear()
    {
        var all = _running.Concat(_waiting).ToList();
        foreach (var s in _running)
        {
            s.Release();
        }

        _running.Clear();
        _waiting.Clear();
        return all;
    }

    private static (Sequence, ForwardChunk) PrefillChunk(Sequence s, ref int budget)
    {
        var tokens = s.Pending(Math.Min(budget, s.PrefillTarget - s.Computed));
        budget -= tokens.Length;
        var completesPrompt = s.Computed + tokens.Length >= s.PrefillTarget;
        return (s, new ForwardChunk(s.Id, s.Cache!, tokens, completesPrompt ? LogitsWanted.LastToken : LogitsWanted.None));
    }
}
