using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>Register-tiled product of a block of user rows with a packed block of item columns.</summary>
/// <remarks>
/// Computes <c>destination[u, i] = sum_d users[u, d] * item_i[d]</c>. Items are packed in panels of
/// <see cref="ItemTile"/> columns, each panel <c>[dim, ItemTile]</c> contiguous (<see cref="Pack"/>), so the inner
/// loop over d walks memory with a 128-byte stride instead of a whole block row; with a plain [dim, block]
/// transpose the 64 rows of a tile sit 4 KiB apart, fall in one L1 set and miss on every pass. Items lie along SIMD lanes so that each
/// step is one broadcast and one fused multiply-add, with no horizontal reduction. The micro-tile is 6 users x 2
/// vectors of items (12 accumulators: 32 items with AVX-512, 16 with AVX2); the scalar loop is the fallback and the test oracle.
/// </remarks>
public static class BlockedScoring
{
    /// <summary>Item columns per micro-tile; transposed blocks are padded to a multiple of this.</summary>
    public const int ItemTile = 32;

    /// <summary>Packs <paramref name="count"/> row-major rows into panels; columns past count up to the stride are zero.</summary>
    /// <returns>The stride: count rounded up to a multiple of <see cref="ItemTile"/>.</returns>
    public static int Pack(ReadOnlySpan<float> rows, int count, int dim, Span<float> panels)
    {
        int stride = (count + ItemTile - 1) / ItemTile * ItemTile;
        if (rows.Length < count * dim || panels.Length < stride * dim)
        {
            throw new ArgumentException("A span is shorter than the shapes require.");
        }
        panels[..(stride * dim)].Clear();
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dim, dim);
            int panelStart = i / ItemTile * dim * ItemTile + i % ItemTile;
            for (int d = 0; d < dim; d++)
            {
                panels[panelStart + d * ItemTile] = row[d];
            }
        }
        return stride;
    }

    /// <param name="users">[userCount, dim], row-major.</param>
    /// <param name="itemsT">Packed panels (<see cref="Pack"/>) of itemStride columns; itemStride is a multiple of <see cref="ItemTile"/>.</param>
    /// <param name="destination">[userCount, itemStride], row-major.</param>
    public static void Score(ReadOnlySpan<float> users, int userCount, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
    {
        if (itemStride % ItemTile != 0)
        {
            throw new ArgumentException($"itemStride {itemStride} is not a multiple of {ItemTile}.", nameof(itemStride));
        }
        if (users.Length < userCount * dim || itemsT.Length < dim * itemStride || destination.Length < userCount * itemStride)
        {
            throw new ArgumentException("A span is shorter than the shapes require.");
        }
        if (Vector512.IsHardwareAccelerated)
        {
            ScoreTiles<Lanes512, Vector512<float>>(users, userCount, dim, itemsT, itemStride, destination);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ScoreTiles<Lanes256, Vector256<float>>(users, userCount, dim, itemsT, itemStride, destination);
        }
        else
        {
            ScoreScalar(users, userCount, dim, itemsT, itemStride, destination);
        }
    }

    /// <summary>The scalar definition, used as fallback and by tests.</summary>
    public static void ScoreScalar(ReadOnlySpan<float> users, int userCount, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
    {
        for (int u = 0; u < userCount; u++)
        {
            Span<float> row = destination.Slice(u * itemStride, itemStride);
            row.Clear();
            for (int d = 0; d < dim; d++)
            {
                float a = users[u * dim + d];
                for (int i = 0; i < itemStride; i++)
                {
                    row[i] += a * itemsT[i / ItemTile * dim * ItemTile + d * ItemTile + i % ItemTile];
                }
            }
        }
    }

    private static void ScoreTiles<TL, TV>(ReadOnlySpan<float> users, int userCount, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int u = 0;
        for (; u + 6 <= userCount; u += 6)
        {
            ScoreTile6<TL, TV>(users.Slice(u * dim), dim, itemsT, itemStride, destination.Slice(u * itemStride));
        }
        for (; u < userCount; u++)
        {
            ScoreTile1<TL, TV>(users.Slice(u * dim, dim), itemsT, itemStride, destination.Slice(u * itemStride, itemStride));
        }
    }

    /// <summary>6 users x 2 vectors of items per pass: 12 accumulators, enough independent FMA chains to cover the
    /// FMA latency on two ports, and 15 of AVX2's 16 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreTile6<TL, TV>(ReadOnlySpan<float> users, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float uRef = ref MemoryMarshal.GetReference(users);
        ref float bRef = ref MemoryMarshal.GetReference(itemsT);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int n = TL.Count;
        for (int i = 0; i < itemStride; i += 2 * n)
        {
            nuint panel = (nuint)(i / ItemTile * dim * ItemTile + i % ItemTile);
            TV c00 = TL.Zero, c01 = TL.Zero, c10 = TL.Zero, c11 = TL.Zero, c20 = TL.Zero, c21 = TL.Zero;
            TV c30 = TL.Zero, c31 = TL.Zero, c40 = TL.Zero, c41 = TL.Zero, c50 = TL.Zero, c51 = TL.Zero;
            // One pointer per user row and one walking the panel keep the loop's address arithmetic to one add each
            // (index arithmetic in int cost 17 integer ops per 12 FMAs, enough to starve the FMA ports).
            ref float bd = ref Unsafe.Add(ref bRef, panel);
            ref float p0 = ref uRef;
            ref float p1 = ref Unsafe.Add(ref uRef, dim);
            ref float p2 = ref Unsafe.Add(ref uRef, 2 * dim);
            ref float p3 = ref Unsafe.Add(ref uRef, 3 * dim);
            ref float p4 = ref Unsafe.Add(ref uRef, 4 * dim);
            ref float p5 = ref Unsafe.Add(ref uRef, 5 * dim);
            for (nuint d = 0; d < (nuint)dim; d++)
            {
                TV b0 = TL.Load(ref bd, 0);
                TV b1 = TL.Load(ref bd, (nuint)n);
                bd = ref Unsafe.Add(ref bd, ItemTile);
                TV a = TL.Broadcast(Unsafe.Add(ref p0, d));
                c00 = TL.FusedMultiplyAdd(a, b0, c00);
                c01 = TL.FusedMultiplyAdd(a, b1, c01);
                a = TL.Broadcast(Unsafe.Add(ref p1, d));
                c10 = TL.FusedMultiplyAdd(a, b0, c10);
                c11 = TL.FusedMultiplyAdd(a, b1, c11);
                a = TL.Broadcast(Unsafe.Add(ref p2, d));
                c20 = TL.FusedMultiplyAdd(a, b0, c20);
                c21 = TL.FusedMultiplyAdd(a, b1, c21);
                a = TL.Broadcast(Unsafe.Add(ref p3, d));
                c30 = TL.FusedMultiplyAdd(a, b0, c30);
                c31 = TL.FusedMultiplyAdd(a, b1, c31);
                a = TL.Broadcast(Unsafe.Add(ref p4, d));
                c40 = TL.FusedMultiplyAdd(a, b0, c40);
                c41 = TL.FusedMultiplyAdd(a, b1, c41);
                a = TL.Broadcast(Unsafe.Add(ref p5, d));
                c50 = TL.FusedMultiplyAdd(a, b0, c50);
                c51 = TL.FusedMultiplyAdd(a, b1, c51);
            }
            nuint o = (nuint)i, s = (nuint)itemStride, h = (nuint)n;
            TL.Store(c00, ref dRef, o); TL.Store(c01, ref dRef, o + h);
            TL.Store(c10, ref dRef, o + s); TL.Store(c11, ref dRef, o + s + h);
            TL.Store(c20, ref dRef, o + 2 * s); TL.Store(c21, ref dRef, o + 2 * s + h);
            TL.Store(c30, ref dRef, o + 3 * s); TL.Store(c31, ref dRef, o + 3 * s + h);
            TL.Store(c40, ref dRef, o + 4 * s); TL.Store(c41, ref dRef, o + 4 * s + h);
            TL.Store(c50, ref dRef, o + 5 * s); TL.Store(c51, ref dRef, o + 5 * s + h);
        }
    }

    private static void ScoreTile1<TL, TV>(ReadOnlySpan<float> user, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float bRef = ref MemoryMarshal.GetReference(itemsT);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int n = TL.Count, dim = user.Length;
        for (int i = 0; i < itemStride; i += 2 * n)
        {
            nuint panel = (nuint)(i / ItemTile * dim * ItemTile + i % ItemTile);
            TV c0 = TL.Zero, c1 = TL.Zero;
            for (int d = 0; d < dim; d++)
            {
                nuint offset = panel + (nuint)(d * ItemTile);
                TV a = TL.Broadcast(user[d]);
                c0 = TL.FusedMultiplyAdd(a, TL.Load(ref bRef, offset), c0);
                c1 = TL.FusedMultiplyAdd(a, TL.Load(ref bRef, offset + (nuint)n), c1);
            }
            TL.Store(c0, ref dRef, (nuint)i);
            TL.Store(c1, ref dRef, (nuint)(i + n));
        }
    }
}
