using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>Register-tiled product of a block of user rows with a transposed block of item columns.</summary>
/// <remarks>
/// Computes <c>destination[u, i] = sum_d users[u, d] * itemsT[d, i]</c>. Items lie along SIMD lanes so that each
/// step is one broadcast and one fused multiply-add, with no horizontal reduction. The micro-tile is 4 users x 32
/// items (8 accumulators); the scalar loop is the fallback and the test oracle.
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
            int u = 0;
            for (; u + 4 <= userCount; u += 4)
            {
                ScoreTile4(users.Slice(u * dim), dim, itemsT, itemStride, destination.Slice(u * itemStride));
            }
            for (; u < userCount; u++)
            {
                ScoreTile1(users.Slice(u * dim, dim), itemsT, itemStride, destination.Slice(u * itemStride, itemStride));
            }
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreTile4(ReadOnlySpan<float> users, int dim, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
    {
        ref float uRef = ref MemoryMarshal.GetReference(users);
        ref float bRef = ref MemoryMarshal.GetReference(itemsT);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        for (int i = 0; i < itemStride; i += ItemTile)
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
            for (int d = 0; d < dim; d++)
            {
                nuint offset = (nuint)(d * itemStride + i);
                Vector512<float> b0 = Vector512.LoadUnsafe(ref bRef, offset);
                Vector512<float> b1 = Vector512.LoadUnsafe(ref bRef, offset + 16);
                Vector512<float> a0 = Vector512.Create(Unsafe.Add(ref uRef, d));
                Vector512<float> a1 = Vector512.Create(Unsafe.Add(ref uRef, dim + d));
                Vector512<float> a2 = Vector512.Create(Unsafe.Add(ref uRef, 2 * dim + d));
                Vector512<float> a3 = Vector512.Create(Unsafe.Add(ref uRef, 3 * dim + d));
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            }
            c00.StoreUnsafe(ref dRef, (nuint)i);
            c01.StoreUnsafe(ref dRef, (nuint)(i + 16));
            c10.StoreUnsafe(ref dRef, (nuint)(itemStride + i));
            c11.StoreUnsafe(ref dRef, (nuint)(itemStride + i + 16));
            c20.StoreUnsafe(ref dRef, (nuint)(2 * itemStride + i));
            c21.StoreUnsafe(ref dRef, (nuint)(2 * itemStride + i + 16));
            c30.StoreUnsafe(ref dRef, (nuint)(3 * itemStride + i));
            c31.StoreUnsafe(ref dRef, (nuint)(3 * itemStride + i + 16));
        }
    }

    private static void ScoreTile1(ReadOnlySpan<float> user, ReadOnlySpan<float> itemsT, int itemStride, Span<float> destination)
    {
        ref float bRef = ref MemoryMarshal.GetReference(itemsT);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        for (int i = 0; i < itemStride; i += ItemTile)
        {
            Vector512<float> c0 = default, c1 = default;
            for (int d = 0; d < user.Length; d++)
            {
                nuint offset = (nuint)(d * itemStride + i);
                Vector512<float> a = Vector512.Create(user[d]);
                c0 = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref bRef, offset), c0);
                c1 = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref bRef, offset + 16), c1);
            }
            c0.StoreUnsafe(ref dRef, (nuint)i);
            c1.StoreUnsafe(ref dRef, (nuint)(i + 16));
        }
    }
}
