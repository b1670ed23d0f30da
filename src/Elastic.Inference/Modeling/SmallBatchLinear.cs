using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Modeling;

/// <summary>
/// y = x·Wᵀ for up to <see cref="MaxRows"/> rows, reading each weight row once for all rows. Decoding is
/// memory-bound: libtorch's GEMM for 2–24 rows streams weights at 6–10 GB/s on this machine and its
/// GEMV at ~20 GB/s, while this kernel streams at 28–48 GB/s. From three rows on, it computes 4×4 tiles
/// (four weight rows against four input rows, 16 accumulators) and so also does the arithmetic of a
/// batch-32 decode step at 75–95 GFLOP/s a core, where libtorch's GEMM reaches ~30 (docs/benchmarks.md).
/// </summary>
internal static unsafe class SmallBatchLinear
{
    /// <summary>
    /// Largest row count the dense layers and the decode kernels hand this kernel (a decode batch); longer inputs
    /// (prefill) go to libtorch's GEMM, which blocks for caches. 64 rows of a 4,096-wide input are 1 MiB. Experts may
    /// pass more rows while their input fits L2 (<c>LocalExpertExecutor.SmallBatchRows</c>): the kernel itself takes any
    /// number.
    /// </summary>
    public const int MaxRows = 64;

    // Below ~2 MB a weight streams in well under 100 µs on one core: splitting it saves less than the pool's
    // workers cost by spinning, and on 2 cores spinning workers starve the threads that stream tokens to clients.
    private const int ParallelThresholdBytes = 2 << 20;

    // How many 4-row weight blocks ahead a tile prefetches. The block in hand is computed from L1 (once per 4 input
    // rows), so memory would idle during arithmetic; prefetching lets the next blocks stream meanwhile. Measured with
    // a single-core probe on 48 expert-sized weights (docs/benchmarks.md): 4 rows 36-38 -> 42-45 GFLOP/s, 8 rows
    // 52 -> 55-60; 32 rows unchanged (compute-bound).
    private const int PrefetchBlocks = 2;

    public static bool Applies(Tensor x, Tensor weight) => x.dim() == 2 && x.shape[0] <= MaxRows && Supports(x, weight);

    /// <summary>
    /// Most rows the engine's one-pass row kernels (norm, rotary) take: a whole step's decode rows and prefill chunks
    /// (at most the engine's token budget, 1,024 by default). Longer inputs, e.g. a long prompt forwarded in one call,
    /// keep libtorch's ops, which split them over the cores.
    /// </summary>
    public const int MaxStepRows = 4096;

    /// <summary>
    /// Whether x holds at most <see cref="MaxStepRows"/> fp32 CPU rows along its first dimension: the inputs the engine's
    /// own row kernels (norm, rotary) take instead of chains of libtorch ops, each a full pass over the rows.
    /// </summary>
    public static bool IsStepSized(Tensor x) =>
        x.dim() >= 1 && x.shape[0] <= MaxStepRows && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU;

    /// <summary>Whether x is a matrix of fp32 CPU rows, the input the engine's row kernels read (any number of rows).</summary>
    public static bool TakesRows(Tensor x) => x.dim() == 2 && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU;

    /// <summary>Whether the kernel can take rows of x (any number of them, e.g. a subset gathered per expert) against weight.</summary>
    public static bool Supports(Tensor x, Tensor weight) =>
        TakesRows(x) && weight.dtype == ScalarType.Float32 && weight.is_contiguous();

    /// <summary>x [M, K] (M ≤ <see cref="MaxRows"/>), weight [N, K] contiguous, optional bias [N] → [M, N].</summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias)
    {
        var input = x.is_contiguous() ? x : x.contiguous();
        var m = (int)input.shape[0];
        var k = (int)input.shape[1];
        var n = (int)weight.shape[0];
        var y = torch.empty(m, n);
        fixed (byte* xp = input.bytes)
        fixed (byte* wp = weight.bytes)
        fixed (byte* yp = y.bytes)
        {
            Compute((float*)wp, (float*)xp, (float*)yp, m, k, n);
        }

        return bias is null ? y : y.add_(bias);
    }

    /// <summary>
    /// y [M, N] = x [M, K] · w [N, K]ᵀ over raw contiguous fp32 buffers, split over <see cref="ComputePool"/>
    /// unless <paramref name="parallel"/> is false (the caller already runs one such call per thread).
    /// </summary>
    public static void Compute(float* w, float* x, float* y, int m, int k, int n, bool parallel = true)
    {
        var job = new Job(w, x, y, m, k, n);
        var pool = ComputePool.Shared;
        // Work grows with the rows as well as the weight bytes: a 4-row tile costs about what one row streams.
        if (!parallel || pool.Threads == 1 || (long)n * k * sizeof(float) * ((m + 3) / 4) < ParallelThresholdBytes)
        {
            job.Rows(0, n);
        }
        else
        {
            // More parts than threads so a thread that starts late does not hold up the step.
            var parts = pool.Threads * 4;
            pool.Run(parts, p => job.Rows((int)((long)n * p / parts), (int)((long)n * (p + 1) / parts)));
        }
    }

    private readonly struct Job(float* w, float* x, float* y, int m, int k, int n)
    {
        public void Rows(int start, int end)
        {
            var row = start;
            if (m >= 3)
            {
                // The tiles of one block together prefetch the whole block PrefetchBlocks ahead (4 rows, contiguous),
                // a few lines per inner iteration: more per iteration when the block has fewer tiles.
                var tiles = (m + 3) / 4;
                var linesPerStep = (4 + tiles - 1) / tiles;
                for (; row + 4 <= end; row += 4)
                {
                    var ahead = row + (4 * PrefetchBlocks);
                    var next = ahead + 4 <= end ? w + ((long)ahead * k) : null;
                    var prefetched = 0L;
                    for (var m0 = 0; m0 < m; m0 += 4)
                    {
                        prefetched = Tile4(row, m0, Math.Min(4, m - m0), next, prefetched, linesPerStep);
                    }
                }
            }

            for (; row < end; row++)
            {
                OneRow(row);
            }
        }

        private void OneRow(int row)
        {
            var wr = w + ((long)row * k);
            var m0 = 0;
            for (; m0 + 4 <= m; m0 += 4)
            {
                Dot4(wr, m0, 4, row);
            }

            switch (m - m0)
            {
                case 1:
                    y[((long)m0 * n) + row] = Dot1(wr, x + ((long)m0 * k), k);
                    break;
                case 2:
                    Dot2(wr, m0, row);
                    break;
                case 3:
                    Dot4(wr, m0, 3, row);
                    break;
            }
        }

        // Four weight rows against up to four input rows: 8 loads feed 16 FMAs, so the tile runs on the FMA units
        // rather than on loads (Dot4 needs 5 loads for 4 FMAs). Missing input rows repeat row m0 and are not stored.
        // Prefetches linesPerStep cache lines of `next` (a later 4-row block, null at the end) per inner step, from
        // float offset `prefetched` on; returns the offset reached.
        private long Tile4(int row, int m0, int count, float* next, long prefetched, int linesPerStep)
        {
            var blockFloats = 4L * k;
            var w0 = w + ((long)row * k);
            var w1 = w0 + k;
            var w2 = w1 + k;
            var w3 = w2 + k;
            var x0 = x + ((long)m0 * k);
            var x1 = count > 1 ? x0 + k : x0;
            var x2 = count > 2 ? x0 + (2L * k) : x0;
            var x3 = count > 3 ? x0 + (3L * k) : x0;
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            var i = 0;
            for (; i + 16 <= k; i += 16)
            {
                if (Sse.IsSupported && next != null && prefetched < blockFloats)
                {
                    for (var line = 0; line < linesPerStep; line++, prefetched += 16)
                    {
                        Sse.Prefetch0(next + prefetched);
                    }
                }

                var v0 = Vector512.Load(x0 + i);
                var v1 = Vector512.Load(x1 + i);
                var v2 = Vector512.Load(x2 + i);
                var v3 = Vector512.Load(x3 + i);
                var u = Vector512.Load(w0 + i);
                a00 = Vector512.FusedMultiplyAdd(u, v0, a00);
                a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
                a02 = Vector512.FusedMultiplyAdd(u, v2, a02);
                a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
                u = Vector512.Load(w1 + i);
                a10 = Vector512.FusedMultiplyAdd(u, v0, a10);
                a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
                a12 = Vector512.FusedMultiplyAdd(u, v2, a12);
                a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
                u = Vector512.Load(w2 + i);
                a20 = Vector512.FusedMultiplyAdd(u, v0, a20);
                a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
                a22 = Vector512.FusedMultiplyAdd(u, v2, a22);
                a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
                u = Vector512.Load(w3 + i);
                a30 = Vector512.FusedMultiplyAdd(u, v0, a30);
                a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
                a32 = Vector512.FusedMultiplyAdd(u, v2, a32);
                a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
            }

            if (Avx512F.IsSupported)
            {
                // All 16 sums in one transposing reduction (~45 shuffles and adds instead of 16 separate horizontal sums,
                // ~130): with the default model's K = 128 those sums cost about as much as the tile's FMAs.
                var sums = ReduceTile(
                    Fold4(a00, a01, a02, a03), Fold4(a10, a11, a12, a13), Fold4(a20, a21, a22, a23), Fold4(a30, a31, a32, a33));
                Store(row, m0, i, w0, x0, Avx512F.ExtractVector128(sums, 0));
                if (count > 1)
                {
                    Store(row, m0 + 1, i, w0, x1, Avx512F.ExtractVector128(sums, 1));
                }

                if (count > 2)
                {
                    Store(row, m0 + 2, i, w0, x2, Avx512F.ExtractVector128(sums, 2));
                }

                if (count > 3)
                {
                    Store(row, m0 + 3, i, w0, x3, Avx512F.ExtractVector128(sums, 3));
                }

                return prefetched;
            }

            Store(row, m0, i, w0, x0, Vector512.Sum(a00), Vector512.Sum(a10), Vector512.Sum(a20), Vector512.Sum(a30));
            if (count > 1)
            {
                Store(row, m0 + 1, i, w0, x1, Vector512.Sum(a01), Vector512.Sum(a11), Vector512.Sum(a21), Vector512.Sum(a31));
            }

            if (count > 2)
            {
                Store(row, m0 + 2, i, w0, x2, Vector512.Sum(a02), Vector512.Sum(a12), Vector512.Sum(a22), Vector512.Sum(a32));
            }

            if (count > 3)
            {
                Store(row, m0 + 3, i, w0, x3, Vector512.Sum(a03), Vector512.Sum(a13), Vector512.Sum(a23), Vector512.Sum(a33));
            }

            return prefetched;
        }

        // The four accumulators of one weight row (against input rows 0-3) folded to one vector whose 128-bit lane r
        // holds four partial sums of input row r.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Fold4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
        {
            var ab = Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);
            var cd = Avx512F.Shuffle4x128(c, d, 0b01_00_01_00) + Avx512F.Shuffle4x128(c, d, 0b11_10_11_10);
            return Avx512F.Shuffle4x128(ab, cd, 0b10_00_10_00) + Avx512F.Shuffle4x128(ab, cd, 0b11_01_11_01);
        }

        // Folded weight rows 0-3 → lane r = (w0·x_r, w1·x_r, w2·x_r, w3·x_r), i.e. y[m0 + r, row..row + 3].
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> ReduceTile(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
        {
            var s01 = Avx512F.UnpackLow(v0, v1) + Avx512F.UnpackHigh(v0, v1);
            var s23 = Avx512F.UnpackLow(v2, v3) + Avx512F.UnpackHigh(v2, v3);
            return Avx512F.Shuffle(s01, s23, 0b01_00_01_00) + Avx512F.Shuffle(s01, s23, 0b11_10_11_10);
        }

        // Writes y[r, row..row+3] from the four sums of one input row.
        private void Store(int row, int r, int from, float* w0, float* xr, Vector128<float> sums)
        {
            if (from == k)
            {
                sums.Store(y + ((long)r * n) + row);
            }
            else
            {
                Store(row, r, from, w0, xr, sums.GetElement(0), sums.GetElement(1), sums.GetElement(2), sums.GetElement(3));
            }
        }

        // Writes y[r, row..row+3] from the tile's sums plus the scalar tail k[from..] (k not a multiple of 16).
        private void Store(int row, int r, int from, float* w0, float* xr, float s0, float s1, float s2, float s3)
        {
            for (var i = from; i < k; i++)
            {
                var xi = xr[i];
                s0 += w0[i] * xi;
                s1 += w0[k + i] * xi;
                s2 += w0[(2L * k) + i] * xi;
                s3 += w0[(3L * k) + i] * xi;
            }

            var yr = y + ((long)r * n) + row;
            yr[0] = s0;
            yr[1] = s1;
            yr[2] = s2;
            yr[3] = s3;
        }

        // One weight row against one input row: four accumulators over 64 floats hide the FMA latency,
        // which otherwise caps a single chain at one 64-byte line per FMA latency.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot1(float* wr, float* x0, int k)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            var i = 0;
            for (; i + 64 <= k; i += 64)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i), Vector512.Load(x0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i + 16), Vector512.Load(x0 + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i + 32), Vector512.Load(x0 + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i + 48), Vector512.Load(x0 + i + 48), a3);
            }

            for (; i + 16 <= k; i += 16)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i), Vector512.Load(x0 + i), a0);
            }

            var s = Vector512.Sum((a0 + a1) + (a2 + a3));
            for (; i < k; i++)
            {
                s += wr[i] * x0[i];
            }

            return s;
        }

        // One weight row against two input rows, two accumulators each.
        private void Dot2(float* wr, int m0, int row)
        {
            var x0 = x + ((long)m0 * k);
            var x1 = x0 + k;
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            var i = 0;
            for (; i + 32 <= k; i += 32)
            {
                var w0 = Vector512.Load(wr + i);
                var w1 = Vector512.Load(wr + i + 16);
                a0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x0 + i), a0);
                b0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x1 + i), b0);
                a1 = Vector512.FusedMultiplyAdd(w1, Vector512.Load(x0 + i + 16), a1);
                b1 = Vector512.FusedMultiplyAdd(w1, Vector512.Load(x1 + i + 16), b1);
            }

            for (; i + 16 <= k; i += 16)
            {
                var w0 = Vector512.Load(wr + i);
                a0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x0 + i), a0);
                b0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(x1 + i), b0);
            }

            float s0 = Vector512.Sum(a0 + a1), s1 = Vector512.Sum(b0 + b1);
            for (; i < k; i++)
            {
                s0 += wr[i] * x0[i];
                s1 += wr[i] * x1[i];
            }

            y[((long)m0 * n) + row] = s0;
            y[((long)(m0 + 1) * n) + row] = s1;
        }

        // One weight row against three or four input rows: the weight vector is loaded once per 16 floats.
        private void Dot4(float* wr, int m0, int count, int row)
        {
            var x0 = x + ((long)m0 * k);
            var x1 = x0 + k;
            var x2 = x0 + (2L * k);
            var x3 = count > 3 ? x0 + (3L * k) : x0;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            var i = 0;
            for (; i + 16 <= k; i += 16)
            {
                var wv = Vector512.Load(wr + i);
                a0 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x1 + i), a1);
                a2 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x2 + i), a2);
                a3 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x3 + i), a3);
            }

            float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
            for (; i < k; i++)
            {
                s0 += wr[i] * x0[i];
                s1 += wr[i] * x1[i];
                s2 += wr[i] * x2[i];
                s3 += wr[i] * x3[i];
            }

            y[((long)m0 * n) + row] = s0;
            y[((long)(m0 + 1) * n) + row] = s1;
            y[((long)(m0 + 2) * n) + row] = s2;
            if (count > 3)
            {
                y[((long)(m0 + 3) * n) + row] = s3;
            }
        }
    }
}
