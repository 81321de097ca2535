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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float value)
    {
        if (value == 12345.678f)
        {
            Console.Write("");
        }
    }

    private static float FmaLoop(long iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
            Vector512<float> m = Vector512.Create(0.999999f), s = Vector512.Create(1e-7f);
            for (long i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, s); a1 = Vector512.FusedMultiplyAdd(a1, m, s);
                a2 = Vector512.FusedMultiplyAdd(a2, m, s); a3 = Vector512.FusedMultiplyAdd(a3, m, s);
                a4 = Vector512.FusedMultiplyAdd(a4, m, s); a5 = Vector512.FusedMultiplyAdd(a5, m, s);
                a6 = Vector512.FusedMultiplyAdd(a6, m, s); a7 = Vector512.FusedMultiplyAdd(a7, m, s);
                a8 = Vector512.FusedMultiplyAdd(a8, m, s); a9 = Vector512.FusedMultiplyAdd(a9, m, s);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
        }
        Vector256<float> b0 = Vector256.Create(1f), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0, b8 = b0, b9 = b0;
        Vector256<float> bm = Vector256.Create(0.999999f), bs = Vector256.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            b0 = Vector256.FusedMultiplyAdd(b0, bm, bs); b1 = Vector256.FusedMultiplyAdd(b1, bm, bs);
            b2 = Vector256.FusedMultiplyAdd(b2, bm, bs); b3 = Vector256.FusedMultiplyAdd(b3, bm, bs);
            b4 = Vector256.FusedMultiplyAdd(b4, bm, bs); b5 = Vector256.FusedMultiplyAdd(b5, bm, bs);
            b6 = Vector256.FusedMultiplyAdd(b6, bm, bs); b7 = Vector256.FusedMultiplyAdd(b7, bm, bs);
            b8 = Vector256.FusedMultiplyAdd(b8, bm, bs); b9 = Vector256.FusedMultiplyAdd(b9, bm, bs);
        }
        return Vector256.Sum(b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9);
    }

    // Four independent 16-lane rows (64 elements), each step: v' = b v + c; w' = w - s m / (sqrt(v') + e).
    private static float DivSqrtLoop(long steps)
    {
        Vector512<float> w0 = Vector512.Create(1f), w1 = w0, w2 = w0, w3 = w0;
        Vector512<float> v0 = Vector512.Create(1e-6f), v1 = v0, v2 = v0, v3 = v0;
        Vector512<float> m = Vector512.Create(1e-4f), b = Vector512.Create(0.999f), c = Vector512.Create(1e-12f);
        Vector512<float> s = Vector512.Create(1e-4f), e = Vector512.Create(1e-8f);
        for (long i = 0; i < steps; i++)
        {
            v0 = b * v0 + c; v1 = b * v1 + c; v2 = b * v2 + c; v3 = b * v3 + c;
            w0 -= s * m / (Vector512.Sqrt(v0) + e);
            w1 -= s * m / (Vector512.Sqrt(v1) + e);
            w2 -= s * m / (Vector512.Sqrt(v2) + e);
            w3 -= s * m / (Vector512.Sqrt(v3) + e);
        }
        return Vector512.Sum(w0 + w1 + w2 + w3);
    }
}
