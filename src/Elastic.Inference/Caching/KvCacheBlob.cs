using System.Buffers.Binary;
using Elastic.Inference.Configuration;

namespace Elastic.Inference.Caching;

/// <summary>
/// The compact binary form of a sequence's KV cache, for handing a finished prefill to a decode engine elsewhere.
/// Little-endian: a 24-byte header (magic "EKV1", layers, kv heads, head dim, tokens, reserved), then per layer the
/// keys and then the values of the stored tokens, each fp32 [kvHeads, tokens, headDim] row-major. The payload is
/// exactly <see cref="ModelConfig.KvBytesPerToken"/> bytes per token: 2 · layers · kvHeads · headDim · 4.
/// </summary>
public static class KvCacheBlob
{
    /// <summary>Bytes before the first layer's keys.</summary>
    public const int HeaderBytes = 24;

    private const int Magic = 0x3156_4B45; // "EKV1" little-endian

    /// <summary>Reads and checks a blob's header.</summary>
    /// <exception cref="ArgumentException">Not a KV blob, or its length does not match its header.</exception>
    public static KvCacheBlobLayout Describe(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderBytes || BinaryPrimitives.ReadInt32LittleEndian(blob) != Magic)
        {
            throw new ArgumentException("not a KV cache blob (bad header)", nameof(blob));
        }

        var layout = new KvCacheBlobLayout(
            BinaryPrimitives.ReadInt32LittleEndian(blob[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(blob[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(blob[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(blob[16..]));
        if (layout.Layers <= 0 || layout.KvHeads <= 0 || layout.HeadDim <= 0 || layout.Tokens < 0)
        {
            throw new ArgumentException($"KV cache blob header is malformed: {layout}", nameof(blob));
        }

        if (blob.Length != HeaderBytes + layout.PayloadBytes)
        {
            throw new ArgumentException($"KV cache blob holds {blob.Length} bytes; its header ({layout}) needs {HeaderBytes + layout.PayloadBytes}", nameof(blob));
        }

        return layout;
    }

    /// <summary>Throws unless the blob's shape is <paramref name="config"/>'s and (when given) it holds <paramref name="tokens"/> tokens.</summary>
    public static KvCacheBlobLayout Check(ReadOnlySpan<byte> blob, ModelConfig config, int? tokens = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var layout = Describe(blob);
        if (layout.Layers != config.NumLayers || layout.KvHeads != config.NumKvHeads || layout.HeadDim != config.HeadDim)
        {
            throw new ArgumentException(
                $"KV cache blob is shaped {layout.Layers} layers × {layout.KvHeads} kv heads × {layout.HeadDim}, the model {config.NumLayers} × {config.NumKvHeads} × {config.HeadDim}",
                nameof(blob));
        }

        if (tokens is { } expected && layout.Tokens != expected)
        {
            throw new ArgumentException($"KV cache blob holds {layout.Tokens} tokens, expected {tokens}", nameof(blob));
        }

        return layout;
    }

    internal static void WriteHeader(Span<byte> blob, KvCacheBlobLayout layout)
    {
        BinaryPrimitives.WriteInt32LittleEndian(blob, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(blob[4..], layout.Layers);
        BinaryPrimitives.WriteInt32LittleEndian(blob[8..], layout.KvHeads);
        BinaryPrimitives.WriteInt32LittleEndian(blob[12..], layout.HeadDim);
        BinaryPrimitives.WriteInt32LittleEndian(blob[16..], layout.Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(blob[20..], 0);
    }
}

/// <summary>The shape of a <see cref="KvCacheBlob"/>.</summary>
public readonly record struct KvCacheBlobLayout(int Layers, int KvHeads, int HeadDim, int Tokens)
{
    /// <summary>Floats in one layer's keys (or values): kvHeads · tokens · headDim.</summary>
    public long FloatsPerTensor => (long)KvHeads * Tokens * HeadDim;

    /// <summary>Bytes after the header: 2 · layers · kvHeads · tokens · headDim · 4.</summary>
    public long PayloadBytes => 2L * Layers * FloatsPerTensor * sizeof(float);

    /// <summary>Payload bytes per token.</summary>
    public long BytesPerToken => 2L * Layers * KvHeads * HeadDim * sizeof(float);
}
