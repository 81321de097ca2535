using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>Measured limits of this machine: fused multiply-add peak, memory bandwidth, and the divide/sqrt rate.</summary>
/// <remarks>These set the floor each training phase can reach; `recloss bench` prints them beside the phase figures.</remarks>
public static class MachineFloor
{
    /// <summary>GFLOP/s of independent 512-bit (or 256-bit) FMA chains on <paramref name="threads"/> threads.</summary>
    public static double FmaGflops(int threads, double seconds = 0.5)
    {
        (long iterations, double elapsed) = TimeOnThreads(threads, 1 << 22, seconds, FmaLoop);
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        return threads * iterations * 10.0 * lanes * 2 / elapsed / 1e9;
    }

    /// <summary>Runs <paramref name="loop"/>(n) on every thread, doubling n until a run lasts <paramref name="seconds"/>.</summary>
    private static (long Iterations, double Seconds) TimeOnThreads(int threads, long iterations, double seconds, Func<long, float> loop)
    {
        while (true)
        {
            var clock = Stopwatch.StartNew();
            long n = iterations;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Sink(loop(n)));
            double elapsed = clock.Elapsed.TotalSeconds;
            if (elapsed >= seconds)
            {
                return (iterations, elapsed);
            }
            iterations *= 2;
        }
    }

    /// <summary>GB/s of a parallel triad a = b + s c over arrays of <paramref name="megabytes"/> each (3 streams counted).</summary>
    public static double TriadGBps(int threads, int megabytes = 128, int repeats = 5)
    {
        int n = megabytes * 1024 * 1024 / sizeof(float);
        float[] a = new float[n], b = new float[n], c = new float[n];
        Array.Fill(b, 1f);
        Array.Fill(c, 2f);
        double best = double.MaxValue;
        int chunk = n / threads;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int start = t * chunk, end = t == threads - 1 ? n : start + chunk;
                Span<float> x = a.AsSpan(start, end - start);
                VectorKernels.Multiply<float>(c.AsSpan(start, end - start), 0.5f, x);
                VectorKernels.MultiplyAdd<float>(b.AsSpan(start, end - start), 1f, x);
            });
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        // Multiply reads c, writes a; MultiplyAdd reads b and a, writes a: 5 streams of n floats.
        return 5.0 * n * sizeof(float) / best / 1e9;
    }

    /// <summary>Element-steps per second of a register-resident Adam-like update (one sqrt and one divide per element).</summary>
    public static double DivideSqrtRate(int threads, double seconds = 0.5)
    {
        (long steps, double elapsed) = TimeOnThreads(threads, 1 << 16, seconds, DivSqrtLoop);
        return threads * steps * 64.0 / elapsed;
    }

    /// <summary>
    /// Seconds per step of the least memory traffic that exact dense Adam needs for one table: every row a step reads
    /// must first take the steps it missed, which reads and writes its w, m and v once (fp32, 6 x 4 x dim bytes), with
    /// one sqrt and one divide per element.
    /// </summary>
    /// <remarks>
    /// Each step updates <paramref name="rowsPerStep"/> distinct random rows in ascending order (as the trainer walks
    /// them), in contiguous parts per thread, prefetching four rows ahead. Nothing else runs, so the training step,
    /// which also gathers, scores and sums gradients, cannot be faster than this on its Adam traffic alone.
    /// </remarks>
    public static double RowUpdateSecondsPerStep(int tableRows, int dim, int rowsPerStep, int threads, int steps = 120, ulong seed = 1)
    {
        if (rowsPerStep < 1 || rowsPerStep > tableRows)
        {
            throw new ArgumentOutOfRangeException(nameof(rowsPerStep), rowsPerStep, $"Expected 1 to {tableRows} rows per step.");
        }
        const int Patterns = 16;
        var rng = new Xoshiro256(seed);
        var patterns = new int[Patterns][];
        for (int p = 0; p < Patterns; p++)
        {
            patterns[p] = new int[rowsPerStep];
            DistinctAscendingRows(ref rng, tableRows, patterns[p]);
        }
        float[] w = new float[(long)tableRows * dim], m = new float[w.Length], v = new float[w.Length];
        Array.Fill(w, 0.01f);
        int warmup = Math.Min(20, steps / 4);
        long elapsed = 0;
        for (int step = 0; step < steps; step++)
        {
            int[] rows = patterns[step % Patterns];
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                UpdateRows(w, m, v, dim, rows.AsSpan(rows.Length * t / threads, rows.Length * (t + 1) / threads - rows.Length * t / threads)));
            if (step >= warmup)
            {
                elapsed += Stopwatch.GetTimestamp() - start;
            }
        }
        Sink(w[0] + m[0] + v[0]);
        return elapsed / (double)Stopwatch.Frequency / (steps - warmup);
    }

    /// <summary>
    /// Gathered rows per second of <see cref="GatherDot.Compute"/>, the forward pass's scoring: each call dots one
    /// vector with <paramref name="rowsPerCall"/> random rows of a [tableRows, dim] table (over the whole table, as
    /// an epoch's steps gather), on every thread.
    /// </summary>
    public static double GatherDotRowsPerSecond(int tableRows, int dim, int rowsPerCall, int threads, double seconds = 0.5, ulong seed = 1)
    {
        float[] table = new float[(long)tableRows * dim];
        Array.Fill(table, 0.01f);
        // Enough lists that the calls touch the whole table about four times over, as an epoch's steps do.
        int lists = Math.Max(64, (int)Math.Min(1 << 20, 4L * tableRows / rowsPerCall + 1));
        var rng = new Xoshiro256(seed);
        int[] rows = new int[lists * rowsPerCall];
        for (int k = 0; k < rows.Length; k++)
        {
            rows[k] = rng.NextInt(tableRows);
        }
        float[] x = new float[dim];
        Array.Fill(x, 0.5f);
        (long calls, double elapsed) = TimeOnThreads(threads, lists, seconds, n =>
        {
            Span<float> scores = stackalloc float[rowsPerCall];
            float sum = 0;
            for (long c = 0; c < n; c++)
            {
                GatherDot.Compute(x, table, rows.AsSpan((int)(c % lists) * rowsPerCall, rowsPerCall), scores);
                sum += scores[0];
            }
            return sum;
        });
        return threads * (double)calls * rowsPerCall / elapsed;
    }

    /// <summary>Fills <paramref name="output"/> with distinct rows of [0, tableRows) in ascending order, each subset
    /// equally likely (selection sampling: row r is kept with probability needed / remaining).</summary>
    internal static void DistinctAscendingRows(ref Xoshiro256 rng, int tableRows, Span<int> output)
    {
        int needed = output.Length;
        for (int r = 0; r < tableRows && needed > 0; r++)
        {
            if (rng.NextDouble() * (tableRows - r) < needed)
            {
                output[output.Length - needed--] = r;
            }
        }
    }

    private static void UpdateRows(float[] w, float[] m, float[] v, int dim, ReadOnlySpan<int> rows)
    {
        const int PrefetchDistance = 4;
        float b1 = 0.9f, c1 = 0.1f, b2 = 0.999f, c2 = 0.001f, size = 1e-4f, eps = 1e-8f, g = 1e-3f;
        for (int p = 0; p < rows.Length; p++)
        {
            if (p + PrefetchDistance < rows.Length)
            {
                int ahead = rows[p + PrefetchDistance] * dim;
                Prefetch.Row<float>(w, ahead, dim);
                Prefetch.Row<float>(m, ahead, dim);
                Prefetch.Row<float>(v, ahead, dim);
            }
            Span<float> wr = w.AsSpan(rows[p] * dim, dim), mr = m.AsSpan(rows[p] * dim, dim), vr = v.AsSpan(rows[p] * dim, dim);
            int d = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; d <= dim - Vector256<float>.Count; d += Vector256<float>.Count)
                {
                    Vector256<float> mv = Vector256.Create(b1) * Vector256.LoadUnsafe(ref mr[d]) + Vector256.Create(c1 * g);
                    Vector256<float> vv = Vector256.Create(b2) * Vector256.LoadUnsafe(ref vr[d]) + Vector256.Create(c2 * g * g);
                    Vector256<float> wv = Vector256.LoadUnsafe(ref wr[d]) - Vector256.Create(size) * mv / (Vector256.Sqrt(vv) + Vector256.Create(eps));
                    mv.StoreUnsafe(ref mr[d]);
                    vv.StoreUnsafe(ref vr[d]);
                    wv.StoreUnsafe(ref wr[d]);
                }
            }
            for (; d < dim; d++)
            {
                mr[d] = b1 * mr[d] + c1 * g;
                vr[d] = b2 * vr[d] + c2 * g * g;
                wr[d] -= size * mr[d] / (MathF.Sqrt(vr[d]) + eps);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float value)
    {
        if (value == 12345.678f)
        {
            Console.Write("");
        }
    }

    private static float FmaLoop(long iterations) =>
        Vector512.IsHardwareAccelerated ? FmaLoop<Lanes512, Vector512<float>>(iterations) : FmaLoop<Lanes256, Vector256<float>>(iterations);

    private static float FmaLoop<TL, TV>(long iterations) where TL : struct, ILanes<TV> where TV : struct
    {
        TV a0 = TL.Broadcast(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        TV m = TL.Broadcast(0.999999f), s = TL.Broadcast(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = TL.FusedMultiplyAdd(a0, m, s); a1 = TL.FusedMultiplyAdd(a1, m, s);
            a2 = TL.FusedMultiplyAdd(a2, m, s); a3 = TL.FusedMultiplyAdd(a3, m, s);
            a4 = TL.FusedMultiplyAdd(a4, m, s); a5 = TL.FusedMultiplyAdd(a5, m, s);
            a6 = TL.FusedMultiplyAdd(a6, m, s); a7 = TL.FusedMultiplyAdd(a7, m, s);
            a8 = TL.FusedMultiplyAdd(a8, m, s); a9 = TL.FusedMultiplyAdd(a9, m, s);
        }
        return TL.Sum(TL.Add(TL.Add(TL.Add(TL.Add(a0, a1), TL.Add(a2, a3)), TL.Add(TL.Add(a4, a5), TL.Add(a6, a7))), TL.Add(a8, a9)));
    }

    private static float DivSqrtLoop(long steps) =>
        Vector512.IsHardwareAccelerated ? DivSqrtLoop<Lanes512, Vector512<float>>(steps) : DivSqrtLoop<Lanes256, Vector256<float>>(steps);

    // 64 elements in four independent chains, each step: v' = b v + c; w' = w - s m / (sqrt(v') + e).
    private static float DivSqrtLoop<TL, TV>(long steps) where TL : struct, ILanes<TV> where TV : struct
    {
        float sum = 0;
        for (int half = 0; half < 64 / (4 * TL.Count); half++)
        {
            TV w0 = TL.Broadcast(1f), w1 = w0, w2 = w0, w3 = w0;
            TV v0 = TL.Broadcast(1e-6f), v1 = v0, v2 = v0, v3 = v0;
            TV m = TL.Broadcast(1e-4f), b = TL.Broadcast(0.999f), c = TL.Broadcast(1e-12f);
            TV s = TL.Broadcast(1e-4f), e = TL.Broadcast(1e-8f);
            TV sm = TL.Multiply(s, m);
            for (long i = 0; i < steps; i++)
            {
                v0 = TL.Add(TL.Multiply(b, v0), c); v1 = TL.Add(TL.Multiply(b, v1), c);
                v2 = TL.Add(TL.Multiply(b, v2), c); v3 = TL.Add(TL.Multiply(b, v3), c);
                w0 = TL.Subtract(w0, TL.Divide(sm, TL.Add(TL.Sqrt(v0), e)));
                w1 = TL.Subtract(w1, TL.Divide(sm, TL.Add(TL.Sqrt(v1), e)));
                w2 = TL.Subtract(w2, TL.Divide(sm, TL.Add(TL.Sqrt(v2), e)));
                w3 = TL.Subtract(w3, TL.Divide(sm, TL.Add(TL.Sqrt(v3), e)));
            }
            sum += TL.Sum(TL.Add(TL.Add(w0, w1), TL.Add(w2, w3)));
        }
        return sum;
    }
}
