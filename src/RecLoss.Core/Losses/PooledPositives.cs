using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>The positive part pooled over each user's rows in a batch (<see cref="PositivePooling"/>; BSL Eq. 18).</summary>
/// <remarks>
/// Row r of user u carries <c>-c log((1/|P_u|) sum_{r' in P_u} e^{s+_r' / tau})</c> in place of its single form
/// <c>-c s+_r / tau</c>. Summed over u's rows, the derivative in s+_r is <c>-c |P_u| softmax_r / tau</c>. With one row
/// per user both forms agree. Computed by log-sum-exp per user, serially in row order.
/// </remarks>
public static class PooledPositives
{
    /// <param name="positives">s+ of each row.</param>
    /// <param name="groupOfRow">The user group (0 .. groups-1) of each row.</param>
    /// <param name="lossDelta">Per row: pooled part minus single part, to add to the row's loss.</param>
    /// <param name="gradient">Per row: dL/ds+ of the whole batch's pooled parts, unweighted.</param>
    /// <param name="max">Scratch, [groups].</param>
    /// <param name="sum">Scratch, [groups].</param>
    /// <param name="count">Scratch, [groups].</param>
    public static void Compute<T>(PositivePooling pooling, ReadOnlySpan<T> positives, ReadOnlySpan<int> groupOfRow, int groups,
        Span<T> lossDelta, Span<T> gradient, Span<T> max, Span<T> sum, Span<int> count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inverseTau = T.One / T.CreateTruncating(pooling.Temperature), c = T.CreateTruncating(pooling.Scale);
        max[..groups].Fill(T.NegativeInfinity);
        sum[..groups].Clear();
        count[..groups].Clear();
        for (int r = 0; r < positives.Length; r++)
        {
            int q = groupOfRow[r];
            max[q] = T.Max(max[q], positives[r] * inverseTau);
            count[q]++;
        }
        for (int r = 0; r < positives.Length; r++)
        {
            int q = groupOfRow[r];
            sum[q] += T.Exp(positives[r] * inverseTau - max[q]);
        }
        for (int r = 0; r < positives.Length; r++)
        {
            int q = groupOfRow[r];
            T a = positives[r] * inverseTau;
            T n = T.CreateTruncating(count[q]);
            T share = T.Exp(a - max[q]) / sum[q];
            gradient[r] = -c * inverseTau * n * share;
            lossDelta[r] = -c * (max[q] + T.Log(sum[q] / n)) + c * a;
        }
    }
}
