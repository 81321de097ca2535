using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>
/// A sum of scaled gathered rows: <c>destination = sum_k coefficients[s_k] table[s_k / rowsPer]</c> over the slots
/// <c>s_k</c> of a list, in list order: an item's gradient from the users of the slots that drew it.
/// </summary>
/// <remarks>
/// The 64-wide case on 512-bit vectors keeps the sum in four registers and stores it once, instead of loading and
/// storing the destination for every slot, and finds a slot's row without a division. Each element is summed as
/// <see cref="VectorKernels.MultiplyAdd{T}"/> sums it (from zero, <c>d + a x</c> per slot, in slot order), so every
/// path gives the same bits.
/// </remarks>
public static class GatherScaledSum
{
    public static void Compute(ReadOnlySpan<float> table, ReadOnlySpan<int> slots, Owners rowsPer, ReadOnlySpan<float> coefficients, Span<float> destination)
    {
        int dim = destination.Length;
        if (dim != 64 || !Vector512.IsHardwareAccelerated)
        {
            destination.Clear();
            foreach (int s in slots)
            {
                VectorKernels.MultiplyAdd(table.Slice(rowsPer.Quotient(s) * dim, dim), coefficients[s], destination);
            }
            return;
        }
        int rows = table.Length / 64;
        ref float tRef = ref MemoryMarshal.GetReference(table);
        Vector512<float> a = Vector512<float>.Zero, b = a, c = a, d = a;
        foreach (int s in slots)
        {
            int row = rowsPer.Quotient(s);
            if ((uint)row >= (uint)rows)
            {
                throw new ArgumentOutOfRangeException(nameof(slots), $"slot {s} names row {row}, beyond the table's {rows} rows");
            }
            ref float e = ref Unsafe.Add(ref tRef, row * 64);
            var w = Vector512.Create(coefficients[s]);
            // A rounded product, then a rounded sum, as MultiplyAdd computes d + a x (no fused multiply-add).
            a += w * Vector512.LoadUnsafe(ref e, 0);
            b += w * Vector512.LoadUnsafe(ref e, 16);
            c += w * Vector512.LoadUnsafe(ref e, 32);
            d += w * Vector512.LoadUnsafe(ref e, 48);
        }
        a.CopyTo(destination);
        b.CopyTo(destination[16..]);
        c.CopyTo(destination[32..]);
        d.CopyTo(destination[48..]);
    }
}
