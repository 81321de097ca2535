using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RecLoss.Numerics;

/// <summary>Dot products of one vector with many gathered rows of a table: <c>destination[k] = x . table[rows[k]]</c>.</summary>
/// <remarks>
/// The 64-wide case (the papers' dimension) scores four rows at once (each slice of x loaded once for all four), so four
/// independent FMA chains are in flight and the four horizontal sums share one transposed add tree. Other widths,
/// and machines without 256-bit vectors, use <see cref="VectorKernels.Dot{T}"/> per row. Rows are prefetched ahead
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
            k = Compute64<Lanes512, Vector512<float>>(x, table, rows, destination);
        }
        else if (dim == 64 && Vector256.IsHardwareAccelerated)
        {
            k = Compute64<Lanes256, Vector256<float>>(x, table, rows, destination);
        }
        for (; k < rows.Length; k++)
        {
            destination[k] = VectorKernels.Dot(x, table.Slice(rows[k] * dim, dim));
        }
    }

    /// <summary>Rows four at a time while four remain; returns how many were done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Compute64<TL, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> table, ReadOnlySpan<int> rows, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float tRef = ref MemoryMarshal.GetReference(table);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int k = 0;
        for (; k + 4 <= rows.Length; k += 4)
        {
            if (k + PrefetchDistance + 4 <= rows.Length)
            {
                for (int p = 0; p < 4; p++)
                {
                    Prefetch.Row(table, rows[k + PrefetchDistance + p] * 64, 64);
                }
            }
            ref float e0 = ref Unsafe.Add(ref tRef, rows[k] * 64);
            ref float e1 = ref Unsafe.Add(ref tRef, rows[k + 1] * 64);
            ref float e2 = ref Unsafe.Add(ref tRef, rows[k + 2] * 64);
            ref float e3 = ref Unsafe.Add(ref tRef, rows[k + 3] * 64);
            TV xj = TL.Load(ref xRef, 0);
            TV a = TL.Multiply(xj, TL.Load(ref e0, 0)), b = TL.Multiply(xj, TL.Load(ref e1, 0));
            TV c = TL.Multiply(xj, TL.Load(ref e2, 0)), d = TL.Multiply(xj, TL.Load(ref e3, 0));
            for (nuint j = (nuint)TL.Count; j < 64; j += (nuint)TL.Count)
            {
                xj = TL.Load(ref xRef, j);
                a = TL.FusedMultiplyAdd(xj, TL.Load(ref e0, j), a);
                b = TL.FusedMultiplyAdd(xj, TL.Load(ref e1, j), b);
                c = TL.FusedMultiplyAdd(xj, TL.Load(ref e2, j), c);
                d = TL.FusedMultiplyAdd(xj, TL.Load(ref e3, j), d);
            }
            Sum4(TL.Fold(a), TL.Fold(b), TL.Fold(c), TL.Fold(d)).StoreUnsafe(ref dRef, (nuint)k);
        }
        return k;
    }

    /// <summary>[sum(a), sum(b), sum(c), sum(d)] through one shared add tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector128<float> a4, Vector128<float> b4, Vector128<float> c4, Vector128<float> d4)
    {
        if (Sse3.IsSupported)
        {
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a4, b4), Sse3.HorizontalAdd(c4, d4));
        }
        return Vector128.Create(Vector128.Sum(a4), Vector128.Sum(b4), Vector128.Sum(c4), Vector128.Sum(d4));
    }
}
