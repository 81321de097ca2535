using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>
/// Products with a small square [dim, dim] matrix, for attention keys and their gradients: rows gathered from a
/// table times B, and sums of outer products. The dim = 64 case keeps a 64-float row in four 512-bit registers;
/// other widths and machines take the plain multiply-add loop. Each output element sums in a fixed order, so
/// results do not depend on how rows are split between threads.
/// </summary>
public static class SmallGemm
{
    /// <summary><c>c[e] (+)= table[rows[e]] B</c>, i.e. <c>c[e][j] = sum_k table[rows[e]][k] B[k][j]</c>; B is [dim, dim] row-major.</summary>
    public static void GatherTimes(ReadOnlySpan<float> table, ReadOnlySpan<int> rows, ReadOnlySpan<float> b, int dim, Span<float> c, bool accumulate)
    {
        if (dim == 64 && Vector512.IsHardwareAccelerated)
        {
            GatherTimes64(table, rows, b, c, accumulate);
            return;
        }
        for (int e = 0; e < rows.Length; e++)
        {
            Span<float> target = c.Slice(e * dim, dim);
            if (!accumulate)
            {
                target.Clear();
            }
            ReadOnlySpan<float> a = table.Slice(rows[e] * dim, dim);
            for (int k = 0; k < dim; k++)
            {
                VectorKernels.MultiplyAdd(b.Slice(k * dim, dim), a[k], target);
            }
        }
    }

    /// <summary><c>c += sum_e x[e]^T y[rows[e]]</c>: c[i][j] += sum_e x[e][i] table[rows[e]][j], entries in order.</summary>
    public static void AddOuterProducts(ReadOnlySpan<float> x, ReadOnlySpan<float> table, ReadOnlySpan<int> rows, int dim, Span<float> c)
    {
        if (dim == 64 && Vector512.IsHardwareAccelerated)
        {
            AddOuterProducts64(x, table, rows, c);
            return;
        }
        for (int e = 0; e < rows.Length; e++)
        {
            ReadOnlySpan<float> y = table.Slice(rows[e] * dim, dim);
            for (int i = 0; i < dim; i++)
            {
                VectorKernels.MultiplyAdd(y, x[e * dim + i], c.Slice(i * dim, dim));
            }
        }
    }

    /// <summary>Two entries at a time, so that each B row loaded serves both; each c[e][j] sums k = 0..63 in order.</summary>
    private static void GatherTimes64(ReadOnlySpan<float> table, ReadOnlySpan<int> rows, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        ref float t = ref MemoryMarshal.GetReference(table);
        ref float bRef = ref MemoryMarshal.GetReference(b);
        ref float cRef = ref MemoryMarshal.GetReference(c);
        int e = 0;
        for (; e + 1 < rows.Length; e += 2)
        {
            ref float a = ref Unsafe.Add(ref t, rows[e] * 64);
            ref float a2 = ref Unsafe.Add(ref t, rows[e + 1] * 64);
            ref float o = ref Unsafe.Add(ref cRef, e * 64);
            ref float o2 = ref Unsafe.Add(ref o, 64);
            Vector512<float> c0, c1, c2, c3, d0, d1, d2, d3;
            if (accumulate)
            {
                (c0, c1, c2, c3) = Load64(ref o);
                (d0, d1, d2, d3) = Load64(ref o2);
            }
            else
            {
                c0 = c1 = c2 = c3 = d0 = d1 = d2 = d3 = Vector512<float>.Zero;
            }
            for (int k = 0; k < 64; k++)
            {
                var ak = Vector512.Create(Unsafe.Add(ref a, k));
                var a2k = Vector512.Create(Unsafe.Add(ref a2, k));
                ref float bk = ref Unsafe.Add(ref bRef, k * 64);
                Vector512<float> b0 = Vector512.LoadUnsafe(ref bk), b1 = Vector512.LoadUnsafe(ref bk, 16);
                Vector512<float> b2 = Vector512.LoadUnsafe(ref bk, 32), b3 = Vector512.LoadUnsafe(ref bk, 48);
                c0 += ak * b0;
                c1 += ak * b1;
                c2 += ak * b2;
                c3 += ak * b3;
                d0 += a2k * b0;
                d1 += a2k * b1;
                d2 += a2k * b2;
                d3 += a2k * b3;
            }
            Store64(c0, c1, c2, c3, ref o);
            Store64(d0, d1, d2, d3, ref o2);
        }
        for (; e < rows.Length; e++)
        {
            ref float a = ref Unsafe.Add(ref t, rows[e] * 64);
            ref float o = ref Unsafe.Add(ref cRef, e * 64);
            Vector512<float> c0, c1, c2, c3;
            if (accumulate)
            {
                (c0, c1, c2, c3) = Load64(ref o);
            }
            else
            {
                c0 = c1 = c2 = c3 = Vector512<float>.Zero;
            }
            for (int k = 0; k < 64; k++)
            {
                var ak = Vector512.Create(Unsafe.Add(ref a, k));
                ref float bk = ref Unsafe.Add(ref bRef, k * 64);
                c0 += ak * Vector512.LoadUnsafe(ref bk);
                c1 += ak * Vector512.LoadUnsafe(ref bk, 16);
                c2 += ak * Vector512.LoadUnsafe(ref bk, 32);
                c3 += ak * Vector512.LoadUnsafe(ref bk, 48);
            }
            Store64(c0, c1, c2, c3, ref o);
        }
    }

    /// <summary>
    /// Eight rows of c, one 32-column half at a time, in 16 registers: each entry's half y row is loaded once per
    /// pass and each c[i][j] adds x[e][i] y[e][j] for e in order. (Accumulators in a stackalloc'd span, as before
    /// 2026-12-03, were loaded and stored at every entry: the stores bound the kernel.)
    /// </summary>
    private static void AddOuterProducts64(ReadOnlySpan<float> x, ReadOnlySpan<float> table, ReadOnlySpan<int> rows, Span<float> c)
    {
        ref float t = ref MemoryMarshal.GetReference(table);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float cRef = ref MemoryMarshal.GetReference(c);
        for (int i0 = 0; i0 < 64; i0 += 8)
        {
            for (int h = 0; h < 64; h += 32)
            {
                ref float c0 = ref Unsafe.Add(ref cRef, i0 * 64 + h);
                Vector512<float> p0 = Vector512.LoadUnsafe(ref c0), q0 = Vector512.LoadUnsafe(ref c0, 16);
                Vector512<float> p1 = Vector512.LoadUnsafe(ref c0, 64), q1 = Vector512.LoadUnsafe(ref c0, 80);
                Vector512<float> p2 = Vector512.LoadUnsafe(ref c0, 128), q2 = Vector512.LoadUnsafe(ref c0, 144);
                Vector512<float> p3 = Vector512.LoadUnsafe(ref c0, 192), q3 = Vector512.LoadUnsafe(ref c0, 208);
                Vector512<float> p4 = Vector512.LoadUnsafe(ref c0, 256), q4 = Vector512.LoadUnsafe(ref c0, 272);
                Vector512<float> p5 = Vector512.LoadUnsafe(ref c0, 320), q5 = Vector512.LoadUnsafe(ref c0, 336);
                Vector512<float> p6 = Vector512.LoadUnsafe(ref c0, 384), q6 = Vector512.LoadUnsafe(ref c0, 400);
                Vector512<float> p7 = Vector512.LoadUnsafe(ref c0, 448), q7 = Vector512.LoadUnsafe(ref c0, 464);
                for (int e = 0; e < rows.Length; e++)
                {
                    ref float y = ref Unsafe.Add(ref t, rows[e] * 64 + h);
                    Vector512<float> y0 = Vector512.LoadUnsafe(ref y), y1 = Vector512.LoadUnsafe(ref y, 16);
                    ref float xe = ref Unsafe.Add(ref xRef, e * 64 + i0);
                    var s = Vector512.Create(xe);
                    p0 += s * y0;
                    q0 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 1));
                    p1 += s * y0;
                    q1 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 2));
                    p2 += s * y0;
                    q2 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 3));
                    p3 += s * y0;
                    q3 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 4));
                    p4 += s * y0;
                    q4 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 5));
                    p5 += s * y0;
                    q5 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 6));
                    p6 += s * y0;
                    q6 += s * y1;
                    s = Vector512.Create(Unsafe.Add(ref xe, 7));
                    p7 += s * y0;
                    q7 += s * y1;
                }
                p0.StoreUnsafe(ref c0); q0.StoreUnsafe(ref c0, 16);
                p1.StoreUnsafe(ref c0, 64); q1.StoreUnsafe(ref c0, 80);
                p2.StoreUnsafe(ref c0, 128); q2.StoreUnsafe(ref c0, 144);
                p3.StoreUnsafe(ref c0, 192); q3.StoreUnsafe(ref c0, 208);
                p4.StoreUnsafe(ref c0, 256); q4.StoreUnsafe(ref c0, 272);
                p5.StoreUnsafe(ref c0, 320); q5.StoreUnsafe(ref c0, 336);
                p6.StoreUnsafe(ref c0, 384); q6.StoreUnsafe(ref c0, 400);
                p7.StoreUnsafe(ref c0, 448); q7.StoreUnsafe(ref c0, 464);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Load64(ref float row) =>
        (Vector512.LoadUnsafe(ref row), Vector512.LoadUnsafe(ref row, 16), Vector512.LoadUnsafe(ref row, 32), Vector512.LoadUnsafe(ref row, 48));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store64(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, ref float row)
    {
        a0.StoreUnsafe(ref row);
        a1.StoreUnsafe(ref row, 16);
        a2.StoreUnsafe(ref row, 32);
        a3.StoreUnsafe(ref row, 48);
    }
}
