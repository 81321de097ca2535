using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>One slot's share of its item's gradient, <c>a u~_row - b e_i</c>: the batch row whose user vector it
/// scales and the slot's two coefficients, stored together so a sum reads its terms in sequence.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct SlotTerm(int Row, float A, float B);

/// <summary>
/// A sum of scaled gathered rows: <c>destination = sum_k A_k table[Row_k]</c> over a list of terms, in list order,
/// returning <c>sum_k B_k</c> in the same order: an item's gradient from the users of the slots that drew it.
/// </summary>
/// <remarks>
/// The terms are copied out of the slot-indexed coefficient arrays when the slots are grouped by item (sequential
/// reads there), so this loop reads nothing at random but the rows themselves. The 64-wide case on 512-bit vectors
/// keeps the sum in four registers and stores it once. Each element is summed as
/// <see cref="VectorKernels.MultiplyAdd{T}"/> sums it (from zero, <c>d + a x</c> per term, in order), so every path
/// gives the same bits.
/// </remarks>
public static class GatherScaledSum
{
    public static float Compute(ReadOnlySpan<float> table, ReadOnlySpan<SlotTerm> terms, Span<float> destination)
    {
        int dim = destination.Length;
        int rows = table.Length / Math.Max(dim, 1);
        float bSum = 0;
        if (dim != 64 || !Vector512.IsHardwareAccelerated)
        {
            destination.Clear();
            foreach (SlotTerm term in terms)
            {
                CheckRow(term.Row, rows);
                VectorKernels.MultiplyAdd(table.Slice(term.Row * dim, dim), term.A, destination);
                bSum += term.B;
            }
            return bSum;
        }
        ref float tRef = ref MemoryMarshal.GetReference(table);
        Vector512<float> a = Vector512<float>.Zero, b = a, c = a, d = a;
        foreach (SlotTerm term in terms)
        {
            CheckRow(term.Row, rows);
            ref float e = ref Unsafe.Add(ref tRef, term.Row * 64);
            var w = Vector512.Create(term.A);
            // A rounded product, then a rounded sum, as MultiplyAdd computes d + a x (no fused multiply-add).
            a += w * Vector512.LoadUnsafe(ref e, 0);
            b += w * Vector512.LoadUnsafe(ref e, 16);
            c += w * Vector512.LoadUnsafe(ref e, 32);
            d += w * Vector512.LoadUnsafe(ref e, 48);
            bSum += term.B;
        }
        a.CopyTo(destination);
        b.CopyTo(destination[16..]);
        c.CopyTo(destination[32..]);
        d.CopyTo(destination[48..]);
        return bSum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckRow(int row, int rows)
    {
        if ((uint)row >= (uint)rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"a term names row {row}, beyond the table's {rows} rows");
        }
    }
}
