using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Elastic.Inference.Caching;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// Attention for decode rows and short prompt chunks, straight over each sequence's KV cache: appends the chunk's
/// keys/values and attends causally in one pass per (sequence, kv head). Doing this with tensor ops costs ~20 small
/// libtorch calls per sequence and layer, which dominated 32-sequence decode steps, and prefilling 32 short prompts
/// (a wave of new requests) cost the same per prompt.
/// </summary>
internal static unsafe class DecodeAttention
{
    /// <summary>
    /// Longest chunk this kernel takes: its dot-product loops beat libtorch's ~20 calls per chunk for short prompts,
    /// while a long prompt's attention is a real matrix product, which libtorch's GEMM does better.
    /// </summary>
    public const int MaxChunkTokens = 64;

    // Below this many cached floats read (~25 µs of work here) attention runs inline. It was 512 Ki floats, which kept
    // a 32-stream step of the default model (~400 Ki floats, ~150 µs a layer) on one core while the other idled:
    // perf found attention the engine thread's largest cost there, and the machine 24 % idle.
    internal const long SmallAttentionFloats = 64 << 10;

    /// <summary>
    /// For each chunk (<c>Count</c> ≤ <see cref="MaxChunkTokens"/> tokens at rows <c>Row..Row+Count-1</c>): writes the
    /// chunk's k/v into the cache from its current length on, and stores the causal attention output of every token in
    /// <paramref name="output"/>. q [T, heads, d], k and v [T, kvHeads, d] and output [T, heads·d] must be contiguous.
    /// </summary>
    public static void Run(Tensor q, Tensor k, Tensor v, Tensor output, IReadOnlyList<(int Row, int Count, SequenceKvCache Cache)> chunks, int layer, int heads, int kvHeads, int headDim, float scale)
    {
        Run(TensorData.Floats(q), (long)heads * headDim, TensorData.Floats(k), (long)kvHeads * headDim, TensorData.Floats(v), (long)kvHeads * headDim, output, chunks, layer, heads, kvHeads, headDim, scale);
        GC.KeepAlive(q);
        GC.KeepAlive(k);
        GC.KeepAlive(v);
    }

    /// <summary>
    /// <see cref="Run(Tensor, Tensor, Tensor, Tensor, IReadOnlyList{ValueTuple{int, int, SequenceKvCache}}, int, int, int, int, float)"/>
    /// straight from a fused projection's contiguous rows [q heads | k heads | v heads | ...] (q and k already rotated):
    /// no q, k or v tensors of their own.
    /// </summary>
    public static void RunOnProjection(Tensor qkv, Tensor output, IReadOnlyList<(int Row, int Count, SequenceKvCache Cache)> chunks, int layer, int heads, int kvHeads, int headDim, float scale)
    {
        var stride = qkv.size(1);
        var data = TensorData.Floats(qkv);
        Run(data, stride, data + ((long)heads * headDim), stride, data + ((long)(heads + kvHeads) * headDim), stride, output, chunks, layer, heads, kvHeads, headDim, scale);
        GC.KeepAlive(qkv);
    }

    // q, k and v rows start qStride, kStride and vStride floats apart; a row's heads are consecutive.
    private static void Run(float* q, long qStride, float* k, long kStride, float* v, long vStride, Tensor output, IReadOnlyList<(int Row, int Count, SequenceKvCache Cache)> chunks, int layer, int heads, int kvHeads, int headDim, float scale)
    {
        var groups = heads / kvHeads;
        var caches = new (nint Keys, nint Values, int Capacity, int Length, int Row, int Count)[chunks.Count];
        var floatsRead = 0L;
        var longest = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            var (row, count, cache) = chunks[i];
            caches[i] = ((nint)TensorData.Floats(cache.KeyBuffer(layer)), (nint)TensorData.Floats(cache.ValueBuffer(layer)), cache.Capacity, cache.Length, row, count);
            floatsRead += ((long)cache.Length * count) + ((long)count * (count + 1) / 2);
            longest = Math.Max(longest, cache.Length + count);
        }

        floatsRead *= kvHeads * headDim * 2;
        var qp = (nint)q;
        var kp = (nint)k;
        var vp = (nint)v;
        var op = (nint)TensorData.Floats(output);
        var work = chunks.Count * kvHeads;

        // Small attention (few sequences, short contexts) runs inline: splitting it saves less than a pool dispatch costs.
        var parts = floatsRead < SmallAttentionFloats ? 1 : Math.Min(work, ComputePool.Shared.Threads * 4);
        ComputePool.Shared.Run(parts, part =>
        {
            var scores = new float[2 * longest];
            for (var w = (int)((long)work * part / parts); w < (int)((long)work * (part + 1) / parts); w++)
            {
                var h = w % kvHeads;
                var (keys, values, capacity, length, row, count) = caches[w / kvHeads];
                var kCache = (float*)keys + ((long)h * capacity * headDim);
                var vCache = (float*)values + ((long)h * capacity * headDim);
                for (var t = 0; t < count; t++)
                {
                    Copy((float*)kp + (((long)row + t) * kStride) + ((long)h * headDim), kCache + ((long)(length + t) * headDim), headDim);
                    Copy((float*)vp + (((long)row + t) * vStride) + ((long)h * headDim), vCache + ((long)(length + t) * headDim), headDim);
                }

                for (var t = 0; t < count; t++)
                {
                    // The query heads sharing this kv head are consecutive in q and in the output: two at a time, so
                    // that each key and value row is read once for both.
                    var query = (float*)qp + (((long)row + t) * qStride) + ((long)h * groups * headDim);
                    var result = (float*)op + (((((long)row + t) * heads) + (h * groups)) * headDim);
                    var g = 0;
                    for (; g + 2 <= groups; g += 2)
                    {
                        AttendPair(query + ((long)g * headDim), kCache, vCache, length + t + 1, headDim, scale, scores, result + ((long)g * headDim));
                    }

                    if (g < groups)
                    {
                        Attend(query + ((long)g * headDim), kCache, vCache, length + t + 1, headDim, scale, scores, result + ((long)g * headDim));
                    }
                }
            }
        });
    }

    private static void Attend(float* query, float* keys, float* values, int length, int headDim, float scale, float[] scores, float* result)
    {
        fixed (float* p = scores)
        {
            Scores(query, keys, length, headDim, scale, p);
            var sum = ExpInPlace(p, length, Max(p, length));
            WeightedSum(p, values, length, headDim, 1f / sum, result);
        }
    }

    // Two consecutive query heads (queries at q and q + headDim, results likewise) against the same keys and values.
    private static void AttendPair(float* queries, float* keys, float* values, int length, int headDim, float scale, float[] scores, float* results)
    {
        fixed (float* p = scores)
        {
            var p0 = p;
            var p1 = p + length;
            ScoresPair(queries, queries + headDim, keys, length, headDim, scale, p0, p1);
            var sum0 = ExpInPlace(p0, length, Max(p0, length));
            var sum1 = ExpInPlace(p1, length, Max(p1, length));
            WeightedSumPair(p0, p1, values, length, headDim, 1f / sum0, 1f / sum1, results, results + headDim);
        }
    }

    /// <summary>
    /// <see cref="Scores"/> for two queries at once, each key loaded once for both: eight keys a block, whose sixteen
    /// partial-sum vectors (eight a query) go through the same transpose tree.
    /// </summary>
    internal static void ScoresPair(float* query0, float* query1, float* keys, int length, int headDim, float scale, float* scores0, float* scores1)
    {
        var j = 0;
        if (Avx512F.IsSupported && headDim % 16 == 0)
        {
            var factor = Vector512.Create(scale);
            for (; j + 8 <= length; j += 8)
            {
                var k = keys + ((long)j * headDim);
                Partial2(query0, query1, k, headDim, out var a0, out var b0);
                Partial2(query0, query1, k + headDim, headDim, out var a1, out var b1);
                Partial2(query0, query1, k + (2 * headDim), headDim, out var a2, out var b2);
                Partial2(query0, query1, k + (3 * headDim), headDim, out var a3, out var b3);
                Partial2(query0, query1, k + (4 * headDim), headDim, out var a4, out var b4);
                Partial2(query0, query1, k + (5 * headDim), headDim, out var a5, out var b5);
                Partial2(query0, query1, k + (6 * headDim), headDim, out var a6, out var b6);
                Partial2(query0, query1, k + (7 * headDim), headDim, out var a7, out var b7);
                var sums = Reduce16(a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7) * factor;
                sums.GetLower().Store(scores0 + j);
                sums.GetUpper().Store(scores1 + j);
            }
        }

        for (; j < length; j++)
        {
            var k = keys + ((long)j * headDim);
            scores0[j] = Dot(query0, k, headDim) * scale;
            scores1[j] = Dot(query1, k, headDim) * scale;
        }
    }

    // The 16 lanes whose sums are a · k and b · k (n a multiple of 16), k loaded once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Partial2(float* a, float* b, float* k, int n, out Vector512<float> x, out Vector512<float> y)
    {
        var kv = Vector512.Load(k);
        x = Vector512.Load(a) * kv;
        y = Vector512.Load(b) * kv;
        for (var i = 16; i < n; i += 16)
        {
            kv = Vector512.Load(k + i);
            x = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), kv, x);
            y = Vector512.FusedMultiplyAdd(Vector512.Load(b + i), kv, y);
        }
    }

    /// <summary>
    /// scores[j] = scale · (query · keys[j]) for the first <paramref name="length"/> keys. Sixteen keys at a time when
    /// the head is a whole number of 512-bit vectors: their sixteen partial-sum vectors are reduced together by a
    /// transpose tree (~1 shuffle a key) instead of a horizontal sum each (~4 shuffles and a chain of adds a key).
    /// </summary>
    internal static void Scores(float* query, float* keys, int length, int headDim, float scale, float* scores)
    {
        var j = 0;
        if (Avx512F.IsSupported && headDim % 16 == 0)
        {
            var factor = Vector512.Create(scale);
            for (; j + 16 <= length; j += 16)
            {
                var k = keys + ((long)j * headDim);
                var sums = Reduce16(
                    Partial(query, k, headDim), Partial(query, k + headDim, headDim), Partial(query, k + (2 * headDim), headDim), Partial(query, k + (3 * headDim), headDim),
                    Partial(query, k + (4 * headDim), headDim), Partial(query, k + (5 * headDim), headDim), Partial(query, k + (6 * headDim), headDim), Partial(query, k + (7 * headDim), headDim),
                    Partial(query, k + (8 * headDim), headDim), Partial(query, k + (9 * headDim), headDim), Partial(query, k + (10 * headDim), headDim), Partial(query, k + (11 * headDim), headDim),
                    Partial(query, k + (12 * headDim), headDim), Partial(query, k + (13 * headDim), headDim), Partial(query, k + (14 * headDim), headDim), Partial(query, k + (15 * headDim), headDim));
                (sums * factor).Store(scores + j);
            }
        }

        for (; j < length; j++)
        {
            scores[j] = Dot(query, keys + ((long)j * headDim), headDim) * scale;
        }
    }

    // The 16 lanes whose sum is a · b (n a multiple of 16).
    private static Vector512<float> Partial(float* a, float* b, int n)
    {
        var acc = Vector512.Load(a) * Vector512.Load(b);
        for (var i = 16; i < n; i += 16)
        {
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
        }

        return acc;
    }

    // Sixteen vectors to one whose lane i is the sum of vector i's lanes: pairwise unpacks within 128-bit blocks, then
    // across blocks, halving the vectors at each of four levels.
    private static Vector512<float> Reduce16(
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7,
        Vector512<float> a8, Vector512<float> a9, Vector512<float> a10, Vector512<float> a11, Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        var b0 = Pairs(a0, a1);
        var b1 = Pairs(a2, a3);
        var b2 = Pairs(a4, a5);
        var b3 = Pairs(a6, a7);
        var b4 = Pairs(a8, a9);
        var b5 = Pairs(a10, a11);
        var b6 = Pairs(a12, a13);
        var b7 = Pairs(a14, a15);
        var c0 = Quads(b0, b1);
        var c1 = Quads(b2, b3);
        var c2 = Quads(b4, b5);
        var c3 = Quads(b6, b7);
        return Blocks(Blocks(c0, c1), Blocks(c2, c3));

        // Per 128-bit block: [x0+x2, y0+y2, x1+x3, y1+y3].
        static Vector512<float> Pairs(Vector512<float> x, Vector512<float> y) => Avx512F.UnpackLow(x, y) + Avx512F.UnpackHigh(x, y);

        // Per 128-bit block: the block's share of the sums of the four vectors behind x (two) and y (two), in order.
        static Vector512<float> Quads(Vector512<float> x, Vector512<float> y) =>
            Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle() + Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();

        // Adds pairs of 128-bit blocks: [x0+x1, x2+x3, y0+y1, y2+y3].
        static Vector512<float> Blocks(Vector512<float> x, Vector512<float> y) =>
            Avx512F.Shuffle4x128(x, y, 0b10_00_10_00) + Avx512F.Shuffle4x128(x, y, 0b11_01_11_01);
    }

    private static float Max(float* p, int length)
    {
        var j = 0;
        var max = float.NegativeInfinity;
        if (length >= 16)
        {
            var m = Vector512.Load(p);
            for (j = 16; j + 16 <= length; j += 16)
            {
                m = Vector512.Max(m, Vector512.Load(p + j));
            }

            var half = Vector256.Max(m.GetLower(), m.GetUpper());
            var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
            max = MathF.Max(MathF.Max(quarter[0], quarter[1]), MathF.Max(quarter[2], quarter[3]));
        }

        for (; j < length; j++)
        {
            max = MathF.Max(max, p[j]);
        }

        return max;
    }

    // p[j] = exp(p[j] - max), 16 at a time; returns the sum.
    private static float ExpInPlace(float* p, int length, float max)
    {
        var shift = Vector512.Create(max);
        var sums = Vector512<float>.Zero;
        var j = 0;
        for (; j + 16 <= length; j += 16)
        {
            var e = FastExp.Exp(Vector512.Load(p + j) - shift);
            e.Store(p + j);
            sums += e;
        }

        var sum = Vector512.Sum(sums);
        for (; j < length; j++)
        {
            var e = MathF.Exp(p[j] - max);
            p[j] = e;
            sum += e;
        }

        return sum;
    }

    // result = scale · Σj p[j] · values[j], accumulated in registers a block of the head at a time (a store and a
    // reload of the result per key, as an axpy per key does, puts a store-to-load delay on every key).
    private static void WeightedSum(float* p, float* values, int length, int headDim, float scale, float* result)
    {
        var d = 0;
        for (; d + 32 <= headDim; d += 32)
        {
            Vector512<float> a0 = default, a1 = default;
            var v = values + d;
            for (var j = 0; j < length; j++, v += headDim)
            {
                var w = Vector512.Create(p[j]);
                a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(v), a0);
                a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(v + 16), a1);
            }

            var k = Vector512.Create(scale);
            (a0 * k).Store(result + d);
            (a1 * k).Store(result + d + 16);
        }

        WeightedSumFrom(p, values, length, headDim, scale, result, d);
    }

    // WeightedSum's columns from d on, 16 and then one at a time.
    private static void WeightedSumFrom(float* p, float* values, int length, int headDim, float scale, float* result, int d)
    {
        for (; d + 16 <= headDim; d += 16)
        {
            var a = Vector512<float>.Zero;
            var v = values + d;
            for (var j = 0; j < length; j++, v += headDim)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), Vector512.Load(v), a);
            }

            (a * Vector512.Create(scale)).Store(result + d);
        }

        for (; d < headDim; d++)
        {
            var a = 0f;
            for (var j = 0; j < length; j++)
            {
                a += p[j] * values[((long)j * headDim) + d];
            }

            result[d] = a * scale;
        }
    }

    // WeightedSum for two score vectors over the same values, each value row loaded once for both.
    private static void WeightedSumPair(float* p0, float* p1, float* values, int length, int headDim, float scale0, float scale1, float* result0, float* result1)
    {
        var d = 0;
        for (; d + 32 <= headDim; d += 32)
        {
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            var v = values + d;
            for (var j = 0; j < length; j++, v += headDim)
            {
                var v0 = Vector512.Load(v);
                var v1 = Vector512.Load(v + 16);
                var w = Vector512.Create(p0[j]);
                a0 = Vector512.FusedMultiplyAdd(w, v0, a0);
                a1 = Vector512.FusedMultiplyAdd(w, v1, a1);
                w = Vector512.Create(p1[j]);
                b0 = Vector512.FusedMultiplyAdd(w, v0, b0);
                b1 = Vector512.FusedMultiplyAdd(w, v1, b1);
            }

            var k0 = Vector512.Create(scale0);
            var k1 = Vector512.Create(scale1);
            (a0 * k0).Store(result0 + d);
            (a1 * k0).Store(result0 + d + 16);
            (b0 * k1).Store(result1 + d);
            (b1 * k1).Store(result1 + d + 16);
        }

        if (d < headDim)
        {
            // Head sizes that are not a multiple of 32: the rest one query at a time.
            WeightedSumFrom(p0, values, length, headDim, scale0, result0, d);
            WeightedSumFrom(p1, values, length, headDim, scale1, result1, d);
        }
    }

    private static float Dot(float* a, float* b, int n)
    {
        var acc = Vector512<float>.Zero;
        var i = 0;
        for (; i + 16 <= n; i += 16)
        {
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
        }

        var s = Vector512.Sum(acc);
        for (; i < n; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    private static void Copy(float* from, float* to, int n) => new Span<float>(from, n).CopyTo(new Span<float>(to, n));
}
