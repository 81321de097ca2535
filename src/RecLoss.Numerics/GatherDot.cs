using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RecLoss.Numerics;

/// <summary>Dot products of one vector with many gathered rows of a table: <c>destination[k] = x . table[rows[k]]</c>.</summary>
/// <remarks>
/// The 64-wide case (the papers' dimension) keeps x in four registers and scores four rows at once, so four
/// independent FMA chains are in flight and the four horizontal sums share one transposed add tree. Other widths,
/// and machines without 512-bit vectors, use <see cref="VectorKernels.Dot{T}"/> per row. Rows are prefetched ahead
/// because their order is data-dependent.
/// </remarks>
public static class GatherDot
{
    private const int PrefetchDistance = 8;

    public static void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> table, ReadOnlySpan<int> rows, Span<float> destination)
    {
        int dim = x.Length;
        if (destination.Length < rows.Length)
        {
            throw new ArgumentException("destination is shorter than rows.", nameof(destination));
        }
        int k = 0;
        if (dim == 64 && Vector512.IsHardwareAccelerated)
        {
            ref float xRef = ref MemoryMarshal.GetReference(x);
            Vector512<float> x0 = Vector512.LoadUnsafe(ref xRef, 0), x1 = Vector512.LoadUnsafe(ref xRef, 16);
            Vector512<float> x2 = Vector512.LoadUnsafe(ref xRef, 32), x3 = Vector512.LoadUnsafe(ref xRef, 48);
            for (; k + 4 <= rows.Length; k += 4)
            {
                if (k + PrefetchDistance + 4 <= rows.Length)
                {
                    for (int p = 0; p < 4; p++)
                    {
                        Prefetch.Row(table, rows[k + PrefetchDistance + p] * 64, 64);
                    }
                }
                Vector512<float> a = Dot64(table, rows[k], x0, x1, x2, x3);
                Vector512<float> b = Dot64(table, rows[k + 1], x0, x1, x2, x3);
                Vector512<float> c = Dot64(table, rows[k + 2], x0, x1, x2, x3);
                Vector512<float> d = Dot64(table, rows[k + 3], x0, x1, x2, x3);
                Vector128<float> sums = Sum4(a, b, c, d);
                sums.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)k);
            }
        }
        for (; k < rows.Length; k++)
        {
            destination[k] = VectorKernels.Dot(x, table.Slice(rows[k] * dim, dim));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Dot64(ReadOnlySpan<float> table, int row, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3)
    {
        ref float e = ref Unsafe.Add(ref MemoryMarshal.GetReference(table), row * 64);
        Vector512<float> acc = x0 * Vector512.LoadUnsafe(ref e, 0);
        acc = Vector512.FusedMultiplyAdd(x1, Vector512.LoadUnsafe(ref e, 16), acc);
        acc = Vector512.FusedMultiplyAdd(x2, Vector512.LoadUnsafe(ref e, 32), acc);
        return Vector512.FusedMultiplyAdd(x3, Vector512.LoadUnsafe(ref e, 48), acc);
    }

    /// <summary>[sum(a), sum(b), sum(c), sum(d)] through one shared add tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Vector256<float> a2 = a.GetLower() + a.GetUpper(), b2 = b.GetLower() + b.GetUpper();
        Vector256<float> c2 = c.GetLower() + c.GetUpper(), d2 = d.GetLower() + d.GetUpper();
        Vector128<float> a4 = a2.GetLower() + a2.GetUpper(), b4 = b2.GetLower() + b2.GetUpper();
        Vector128<float> c4 = c2.GetLower() + c2.GetUpper(), d4 = d2.GetLower() + d2.GetUpper();
        if (Sse3.IsSupported)
        {
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a4, b4), Sse3.HorizontalAdd(c4, d4));
        }
        return Vector128.Create(Vector128.Sum(a4), Vector128.Sum(b4), Vector128.Sum(c4), Vector128.Sum(d4));
    }
}
