using System.Runtime.InteropServices;
using Elastic.Inference.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Caching;

/// <summary>
/// The keys and values of one sequence, per layer shaped [kvHeads, capacity, headDim]. Capacity follows the
/// reservation, which the scheduler raises ahead of the sequence as it grows; disposing frees the tensors and
/// returns the reservation.
/// </summary>
public sealed class SequenceKvCache : IDisposable
{
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

    /// <summary>Tokens of the budget this cache holds; grows with <see cref="TryReserve"/>, returned on dispose.</summary>
    public int ReservedTokens { get; private set; }

    /// <summary>Raises the reservation to <paramref name="tokens"/> if the budget can take it now; true if it holds that many.</summary>
    public bool TryReserve(int tokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens <= ReservedTokens)
        {
            return true;
        }

        if (!_manager.TryReserveMore(tokens - ReservedTokens))
        {
            return false;
        }

        ReservedTokens = tokens;
        return true;
    }

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

        // Straight to the reservation, which the scheduler already raises ahead of the sequence (the prompt plus 64
        // tokens, then by half again or 64): the budget counts reserved tokens, so this allocates nothing beyond it. A
        // 160-token request grew 32 → 64 → 96 → 160 with a copy each time, in the same steps for every sequence of a
        // batch; now 96 → 160.
        var capacity = ReservedTokens;
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
        var n = keys.size(1);
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

    /// <summary>
    /// Copies the stored tokens' keys and values into a <see cref="KvCacheBlob"/> (outside any dispose scope;
    /// on the thread that owns the cache, between steps).
    /// </summary>
    public byte[] Export()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireLittleEndian();
        var c = _manager.Config;
        var layout = new KvCacheBlobLayout(c.NumLayers, c.NumKvHeads, c.HeadDim, Length);
        var blob = new byte[KvCacheBlob.HeaderBytes + layout.PayloadBytes];
        KvCacheBlob.WriteHeader(blob, layout);
        if (Length == 0)
        {
            return blob;
        }

        var size = checked((int)(layout.FloatsPerTensor * sizeof(float)));
        var offset = KvCacheBlob.HeaderBytes;
        using (torch.NewDisposeScope())
        {
            for (var l = 0; l < c.NumLayers; l++)
            {
                foreach (var buffer in (Tensor[])[_keys[l], _values[l]])
                {
                    var floats = TensorCopy.ToArray<float>(buffer.narrow(1, 0, Length));
                    MemoryMarshal.AsBytes(floats.AsSpan()).CopyTo(blob.AsSpan(offset, size));
                    offset += size;
                }
            }
        }

        return blob;
    }

    /// <summary>
    /// Fills an empty cache from a <see cref="KvCacheBlob"/> of the same model: afterwards it holds the blob's tokens,
    /// exactly as if they had been prefilled here.
    /// </summary>
    /// <exception cref="ArgumentException">The blob is malformed or shaped for another model.</exception>
    public void Import(ReadOnlySpan<byte> blob)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireLittleEndian();
        if (Length != 0)
        {
            throw new InvalidOperationException($"a KV cache blob can only be imported into an empty cache; this one holds {Length} tokens");
        }

        var c = _manager.Config;
        var layout = KvCacheBlob.Check(blob, c);
        if (layout.Tokens == 0)
        {
            return;
        }

        EnsureRoom(layout.Tokens);
        var size = checked((int)(layout.FloatsPerTensor * sizeof(float)));
        var offset = KvCacheBlob.HeaderBytes;
        long[] shape = [c.NumKvHeads, layout.Tokens, c.HeadDim];
        using (torch.NewDisposeScope())
        {
            for (var l = 0; l < c.NumLayers; l++)
            {
                var keys = torch.tensor(MemoryMarshal.Cast<byte, float>(blob.Slice(offset, size)).ToArray(), shape);
                offset += size;
                var values = torch.tensor(MemoryMarshal.Cast<byte, float>(blob.Slice(offset, size)).ToArray(), shape);
                offset += size;
                Write(l, 0, keys, values);
            }
        }

        Advance(layout.Tokens);
    }

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

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("KV cache blobs are little-endian fp32; this platform is big-endian");
        }
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
