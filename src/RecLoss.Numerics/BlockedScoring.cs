using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>Register-tiled product of a block of user rows with a transposed block of item columns.</summary>
/// <remarks>
/// Computes <c>destination[u, i] = sum_d users[u, d] * itemsT[d, i]</c>. Items lie along SIMD lanes so that each
/// step is one broadcast and one fused multiply-add, with no horizontal reduction. The micro-tile is 4 users x 2
/// vectors of items (8 accumulators: 32 items with AVX-512, 16 with AVX2); the scalar loop is the fallback and the test oracle.
/// </remarks>
public static class BlockedScoring
{
    /// <summary>Item columns per micro-tile; transposed blocks are padded to a multiple of this.</summary>
    public const int ItemTile = 32;

    /// <param name="users">[userCount, dim], row-major.</param>
    /// <param name="itemsT">[dim, itemStride], row-major; itemStride is a multiple of <see cref="ItemTile"/>.</param>
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
                ReadOnlySpan<float> col = itemsT.Slice(d * itemStride, itemStride);
                for (int i = 0; i < itemStride; i++)
                {
                    row[i] += a * col[i];
                }
            }
        }
    }

    private static void ScoreTiles<TL, TV>(ReadOnlySpan<float> users, int userCount, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int u = 0;
        for (; u + 4 <= userCount; u += 4)
        {
            ScoreTile4<TL, TV>(users.Slice(u * dim), dim, itemsT, itemStride, destination.Slice(u * itemStride));
        }
        for (; u < userCount; u++)
        {
            ScoreTile1<TL, TV>(users.Slice(u * dim, dim), itemsT, itemStride, destination.Slice(u * itemStride, itemStride));
        }
    }

    /// <summary>4 users x 2 vectors of items per pass (8 accumulators fit the 16 registers of AVX2 and AVX-512 alike).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreTile4<TL, TV>(ReadOnlySpan<float> users, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float uRef = ref MemoryMarshal.GetReference(users);
        ref float bRef = ref MemoryMarshal.GetReference(itemsT);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int n = TL.Count;
        for (int i = 0; i < itemStride; i += 2 * n)
        {
            TV c00 = TL.Zero, c01 = TL.Zero, c10 = TL.Zero, c11 = TL.Zero;
            TV c20 = TL.Zero, c21 = TL.Zero, c30 = TL.Zero, c31 = TL.Zero;
            for (int d = 0; d < dim; d++)
            {
                nuint offset = (nuint)(d * itemStride + i);
                TV b0 = TL.Load(ref bRef, offset);
                TV b1 = TL.Load(ref bRef, offset + (nuint)n);
                TV a0 = TL.Broadcast(Unsafe.Add(ref uRef, d));
                TV a1 = TL.Broadcast(Unsafe.Add(ref uRef, dim + d));
                TV a2 = TL.Broadcast(Unsafe.Add(ref uRef, 2 * dim + d));
                TV a3 = TL.Broadcast(Unsafe.Add(ref uRef, 3 * dim + d));
                c00 = TL.FusedMultiplyAdd(a0, b0, c00);
                c01 = TL.FusedMultiplyAdd(a0, b1, c01);
                c10 = TL.FusedMultiplyAdd(a1, b0, c10);
                c11 = TL.FusedMultiplyAdd(a1, b1, c11);
                c20 = TL.FusedMultiplyAdd(a2, b0, c20);
                c21 = TL.FusedMultiplyAdd(a2, b1, c21);
                c30 = TL.FusedMultiplyAdd(a3, b0, c30);
                c31 = TL.FusedMultiplyAdd(a3, b1, c31);
            }
            TL.Store(c00, ref dRef, (nuint)i);
            TL.Store(c01, ref dRef, (nuint)(i + n));
            TL.Store(c10, ref dRef, (nuint)(itemStride + i));
            TL.Store(c11, ref dRef, (nuint)(itemStride + i + n));
            TL.Store(c20, ref dRef, (nuint)(2 * itemStride + i));
            TL.Store(c21, ref dRef, (nuint)(2 * itemStride + i + n));
            TL.Store(c30, ref dRef, (nuint)(3 * itemStride + i));
            TL.Store(c31, ref dRef, (nuint)(3 * itemStride + i + n));
        }
    }

    private static void ScoreTile1<TL, TV>(ReadOnlySpan<float> user, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float bRef = ref MemoryMarshal.GetReference(itemsT);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int n = TL.Count;
        for (int i = 0; i < itemStride; i += 2 * n)
        {
            TV c0 = TL.Zero, c1 = TL.Zero;
            for (int d = 0; d < user.Length; d++)
            {
                nuint offset = (nuint)(d * itemStride + i);
                TV a = TL.Broadcast(user[d]);
                c0 = TL.FusedMultiplyAdd(a, TL.Load(ref bRef, offset), c0);
                c1 = TL.FusedMultiplyAdd(a, TL.Load(ref bRef, offset + (nuint)n), c1);
            }
            TL.Store(c0, ref dRef, (nuint)i);
            TL.Store(c1, ref dRef, (nuint)(i + n));
        }
    }
}
