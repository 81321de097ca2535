using RecLoss.Core.Data;
using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Uniform negatives over all items, with replacement.</summary>
/// <remarks>
/// The reference (SimpleX/MML) draws uniformly over all items and does not exclude the user's positives; with
/// <c>excludePositives</c> each draw is rejected while it hits the user's train row (binary search of the sorted CSR
/// row), which is exact rejection sampling of the uniform law over the user's non-positives.
/// </remarks>
public sealed class UniformSampler : INegativeSampler
{
    private readonly int _itemCount;
    private readonly InteractionMatrix? _positives;

    /// <param name="positives">The train matrix when positives are excluded; null for the reference behaviour.</param>
    /// <exception cref="NoNegativeException">Exclusion is asked but some user interacted with every item.</exception>
    public UniformSampler(int itemCount, InteractionMatrix? positives = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemCount);
        if (positives is not null)
        {
            for (int u = 0; u < positives.UserCount; u++)
            {
                if (positives.RowLength(u) >= itemCount)
                {
                    throw new NoNegativeException(u, $"interacted with all {itemCount} items, so no negative can be drawn for it when its positives are excluded (by --exclude-positives or a hard sampler's candidates)");
                }
            }
        }
        _itemCount = itemCount;
        _positives = positives;
    }

    public string Name => _positives is null ? "uniform" : "uniform-excluding-positives";

    public void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination)
    {
        if (_positives is null)
        {
            // A local copy lets the JIT keep the generator's state in registers through the loop.
            Xoshiro256 local = rng;
            for (int k = 0; k < destination.Length; k++)
            {
                destination[k] = local.NextInt(_itemCount);
            }
            rng = local;
            return;
        }
        ReadOnlySpan<int> row = _positives.Row(userIndex);
        if (destination.Length >= BitmapMinDraws)
        {
            SampleWithBitmap(ref rng, row, destination);
            return;
        }
        for (int k = 0; k < destination.Length; k++)
        {
            int item;
            do
            {
                item = rng.NextInt(_itemCount);
            }
            while (row.BinarySearch(item) >= 0);
            destination[k] = item;
        }
    }

    // Many draws for one user: mark its items in a per-thread bitmap so each rejection test is one load instead of a
    // binary search (hard negatives draw hundreds of candidates per row). Same draws, same tests, same result.
    private const int BitmapMinDraws = 32;

    [ThreadStatic]
    private static ulong[]? t_positiveBits;

    private void SampleWithBitmap(ref Xoshiro256 rng, ReadOnlySpan<int> row, Span<int> destination)
    {
        int words = (_itemCount + 63) >> 6;
        ulong[] bits = t_positiveBits is { } existing && existing.Length >= words ? existing : (t_positiveBits = new ulong[words]);
        foreach (int i in row)
        {
            bits[i >> 6] |= 1UL << i;
        }
        Xoshiro256 local = rng;
        for (int k = 0; k < destination.Length; k++)
        {
            int item;
            do
            {
                item = local.NextInt(_itemCount);
            }
            while ((bits[item >> 6] & (1UL << item)) != 0);
            destination[k] = item;
        }
        rng = local;
        foreach (int i in row)
        {
            bits[i >> 6] = 0;
        }
    }
}
