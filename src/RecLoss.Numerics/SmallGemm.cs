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

    private static void GatherTimes64(ReadOnlySpan<float> table, ReadOnlySpan<int> rows, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        ref float t = ref MemoryMarshal.GetReference(table);
        ref float bRef = ref MemoryMarshal.GetReference(b);
        ref float cRef = ref MemoryMarshal.GetReference(c);
        for (int e = 0; e < rows.Length; e++)
        {
            ref float a = ref Unsafe.Add(ref t, rows[e] * 64);
            ref float o = ref Unsafe.Add(ref cRef, e * 64);
            Vector512<float> c0, c1, c2, c3;
            if (accumulate)
            {
                c0 = Vector512.LoadUnsafe(ref o);
                c1 = Vector512.LoadUnsafe(ref o, 16);
                c2 = Vector512.LoadUnsafe(ref o, 32);
                c3 = Vector512.LoadUnsafe(ref o, 48);
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
            c0.StoreUnsafe(ref o);
            c1.StoreUnsafe(ref o, 16);
            c2.StoreUnsafe(ref o, 32);
            c3.StoreUnsafe(ref o, 48);
        }
    }

    /// <summary>Eight rows of c at a time in 32 registers, each entry's y row loaded once per block.</summary>
    private static void AddOuterProducts64(ReadOnlySpan<float> x, ReadOnlySpan<float> table, ReadOnlySpan<int> rows, Span<float> c)
    {
        ref float t = ref MemoryMarshal.GetReference(table);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float cRef = ref MemoryMarshal.GetReference(c);
        Span<Vector512<float>> acc = stackalloc Vector512<float>[32];
        for (int i0 = 0; i0 < 64; i0 += 8)
        {
            for (int q = 0; q < 32; q++)
            {
                acc[q] = Vector512.LoadUnsafe(ref cRef, (nuint)((i0 + q / 4) * 64 + q % 4 * 16));
            }
            for (int e = 0; e < rows.Length; e++)
            {
                ref float y = ref Unsafe.Add(ref t, rows[e] * 64);
                Vector512<float> y0 = Vector512.LoadUnsafe(ref y), y1 = Vector512.LoadUnsafe(ref y, 16);
                Vector512<float> y2 = Vector512.LoadUnsafe(ref y, 32), y3 = Vector512.LoadUnsafe(ref y, 48);
                ref float xe = ref Unsafe.Add(ref xRef, e * 64 + i0);
                for (int r = 0; r < 8; r++)
                {
                    var s = Vector512.Create(Unsafe.Add(ref xe, r));
                    acc[r * 4] += s * y0;
                    acc[r * 4 + 1] += s * y1;
                    acc[r * 4 + 2] += s * y2;
                    acc[r * 4 + 3] += s * y3;
                }
            }
            for (int q = 0; q < 32; q++)
            {
                acc[q].StoreUnsafe(ref cRef, (nuint)((i0 + q / 4) * 64 + q % 4 * 16));
            }
        }
    }
}
