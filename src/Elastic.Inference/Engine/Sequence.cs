using Elastic.Inference.Caching;
using Elastic.Inference.Sampling;

namespace Elastic.Inference.Engine;

/// <summary>The engine's state of one request: tokens so far, its KV cache and its sampler.</summary>
internal sealed class Sequence(long id, GenerationRequest request, long arrivalTimestamp)
{
    private readonly List<int> _tokens = [.. request.PromptTokens];

    public long Id { get; } = id;

    public GenerationRequest Request { get; } = request;

    public long ArrivalTimestamp { get; } = arrivalTimestamp;

    public Sampler Sampler { get; } = new(request.Sampling);

    public SequenceKvCache? Cache { get; set; }

    public int PromptLength => Request.PromptTokens.Count;

    public int OutputLength => _tokens.Count - PromptLength;

    public int TotalLength => _tokens.Count;

    /// <summary>Tokens whose keys/values are in the cache.</summary>
    public int Computed => Cache?.Length ?? 0;

    public bool IsPrefilled => Computed >= PromptLength;

    public int MaxTotalTokens { get; init; }

    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The next tokens to feed: the prompt's uncomputed part, or the last sampled token.</summary>
    public int[] Pending(int max)
    {
        var start = Computed;
        var count = Math.Min(max, _tokens.Count - start);
        return _tokens.GetRange(start, count).ToArray();
    }

    public void Append(int token) => _tokens.Add(token);

    public void Release()
    {
        Cache?.Dispose();
        Cache = null;
    }
}
