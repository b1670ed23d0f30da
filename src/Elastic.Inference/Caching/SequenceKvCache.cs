using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Caching;

/// <summary>
/// The keys and values of one sequence, per layer shaped [kvHeads, capacity, headDim]. Capacity grows
/// by doubling up to the reservation; disposing frees the tensors and returns the reservation.
/// </summary>
public sealed class SequenceKvCache : IDisposable
{
    private const int MinCapacity = 32;
    private readonly KvCacheManager _manager;
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private long _allocatedBytes;
    private bool _disposed;

    internal SequenceKvCache(KvCacheManager manager, int reservedTokens)
    {
        _manager = manager;
        ReservedTokens = reservedTokens;
        _keys = new Tensor[manager.Config.NumLayers];
        _values = new Tensor[manager.Config.NumLayers];
    }

    /// <summary>Tokens whose keys and values are stored.</summary>
    public int Length { get; private set; }

    public int Capacity { get; private set; }

    public int ReservedTokens { get; }

    public bool IsDisposed => _disposed;

    /// <summary>Makes room for <paramref name="newTokens"/> more tokens (outside any dispose scope).</summary>
    public void EnsureRoom(int newTokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var needed = Length + newTokens;
        if (needed > ReservedTokens)
        {
            throw new InvalidOperationException($"sequence needs {needed} cache tokens but reserved {ReservedTokens}");
        }

        if (needed <= Capacity)
        {
            return;
        }

        var capacity = Math.Min(ReservedTokens, Math.Max(needed, Math.Max(MinCapacity, Capacity * 2)));
        var config = _manager.Config;
        using (torch.NewDisposeScope())
        {
            for (var l = 0; l < config.NumLayers; l++)
            {
                _keys[l] = Grow(_keys[l], capacity, config.NumKvHeads, config.HeadDim);
                _values[l] = Grow(_values[l], capacity, config.NumKvHeads, config.HeadDim);
            }
        }

        var bytes = (long)(capacity - Capacity) * _manager.BytesPerToken;
        _allocatedBytes += bytes;
        _manager.OnAllocated(bytes);
        Capacity = capacity;
    }

    /// <summary>Writes keys/values [kvHeads, n, headDim] of the next tokens of <paramref name="layer"/> at <paramref name="start"/>.</summary>
    internal void Write(int layer, int start, Tensor keys, Tensor values)
    {
        var n = keys.shape[1];
        _keys[layer].narrow(1, start, n).copy_(keys);
        _values[layer].narrow(1, start, n).copy_(values);
    }

    /// <summary>Keys and values of the first <paramref name="length"/> tokens of a layer (views).</summary>
    internal (Tensor Keys, Tensor Values) Read(int layer, int length) =>
        (_keys[layer].narrow(1, 0, length), _values[layer].narrow(1, 0, length));

    /// <summary>The whole key buffer of a layer, [kvHeads, capacity, headDim] (for kernels that index it directly).</summary>
    internal Tensor KeyBuffer(int layer) => _keys[layer];

    /// <summary>The whole value buffer of a layer, [kvHeads, capacity, headDim].</summary>
    internal Tensor ValueBuffer(int layer) => _values[layer];

    /// <summary>Marks <paramref name="count"/> more tokens as stored, after all layers wrote them.</summary>
    internal void Advance(int count) => Length += count;

    /// <summary>Drops tokens past <paramref name="length"/> (their slots are overwritten later).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (var l = 0; l < _keys.Length; l++)
        {
            _keys[l]?.Dispose();
            _values[l]?.Dispose();
        }

        _manager.Release(ReservedTokens, _allocatedBytes);
    }

    private Tensor Grow(Tensor? old, int capacity, int kvHeads, int headDim)
    {
        var fresh = torch.empty([kvHeads, capacity, headDim]);
        if (old is not null)
        {
            if (Length > 0)
            {
                fresh.narrow(1, 0, Length).copy_(old.narrow(1, 0, Length));
            }

            old.Dispose();
        }

        return fresh.DetachFromDisposeScope();
    }
}
