using RecLoss.Core.Data;
using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>In-batch negatives: each draw is the positive item of a uniformly chosen row of the same batch, redrawn
/// while it is one of the user's own train items (which also rules out the row's own positive).</summary>
/// <remarks>
/// Draws are with replacement, so an item comes up in proportion to how many rows of the batch hold it, the law of
/// the full in-batch softmax, for any number of negatives. Rejection is exact sampling of the uniform law over the
/// batch rows whose item the user never interacted with; after <see cref="RejectionsBeforeScan"/> rejections in a
/// row the draw is made from an explicit list of those rows instead (same law), and a batch with none is an error.
/// </remarks>
public sealed class InBatchSampler : IBatchNegativeSampler
{
    private const int RejectionsBeforeScan = 64;

    private readonly InteractionMatrix _train;
    private int[] _positives = [];
    private int _count;

    public InBatchSampler(InteractionMatrix train) => _train = train;

    public string Name => "in-batch";

    public void BeginBatch(ReadOnlySpan<int> positives)
    {
        if (_positives.Length < positives.Length)
        {
            _positives = new int[positives.Length];
        }
        positives.CopyTo(_positives);
        _count = positives.Length;
    }

    public void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination)
    {
        if (_count == 0 && !destination.IsEmpty)
        {
            throw new InvalidOperationException("In-batch sampling needs BeginBatch with the batch's positives before drawing.");
        }
        ReadOnlySpan<int> own = _train.Row(userIndex);
        ReadOnlySpan<int> batch = _positives.AsSpan(0, _count);
        int[]? usable = null;
        for (int k = 0; k < destination.Length; k++)
        {
            int item = -1;
            for (int attempt = 0; attempt < RejectionsBeforeScan && item < 0; attempt++)
            {
                int candidate = batch[rng.NextInt(batch.Length)];
                if (own.BinarySearch(candidate) < 0)
                {
                    item = candidate;
                }
            }
            if (item < 0)
            {
                usable ??= UsableRows(batch, own, userIndex);
                item = batch[usable[rng.NextInt(usable.Length)]];
            }
            destination[k] = item;
        }
    }

    private static int[] UsableRows(ReadOnlySpan<int> batch, ReadOnlySpan<int> own, int userIndex)
    {
        var rows = new List<int>();
        for (int r = 0; r < batch.Length; r++)
        {
            if (own.BinarySearch(batch[r]) < 0)
            {
                rows.Add(r);
            }
        }
        if (rows.Count == 0)
        {
            throw new NoNegativeException(userIndex, $"has every positive of its batch ({batch.Length} rows) among its train items, so in-batch sampling has no negative for it; use a larger --batch-size or another sampler");
        }
        return rows.ToArray();
    }
}
