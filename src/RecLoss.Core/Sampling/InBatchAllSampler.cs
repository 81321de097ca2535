using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Every other row's positive as a negative, once each and nothing masked: the full in-batch softmax of the
/// BSL code's LightGCN ("no_sample"), where row r scores the B - 1 positives of the batch's other rows.</summary>
/// <remarks>
/// Slot k of row r takes the positive of row (r + 1 + k mod (b - 1)) mod b of a batch of b rows, so N = B - 1
/// negatives give each other row exactly once; an epoch's shorter last batch cycles through its b - 1 other rows.
/// Items are not checked against the user's own (the reference does not): a popular item can be another row's
/// positive and the user's too. No draw is random, so the stream is not read.
/// </remarks>
public sealed class InBatchAllSampler : IBatchNegativeSampler
{
    private int[] _positives = [];
    private int _count;

    public string Name => "in-batch-all";

    public void BeginBatch(ReadOnlySpan<int> positives)
    {
        if (_positives.Length < positives.Length)
        {
            _positives = new int[positives.Length];
        }
        positives.CopyTo(_positives);
        _count = positives.Length;
    }

    /// <summary>The error for a batch of one row, which has no other row's positive (also raised by the dense path).</summary>
    public static NoNegativeException OnlyRow(int userIndex) => new(userIndex,
        "is the only row of its batch, so in-batch-all has no other row's positive to use as a negative; change --batch-size so that no batch holds a single row");

    public void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination) =>
        throw new InvalidOperationException("In-batch-all negatives depend on the row's place in its batch; call SampleRow.");

    public void SampleRow(ref Xoshiro256 rng, int row, int userIndex, Span<int> destination)
    {
        if ((uint)row >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"The batch has {_count} rows (BeginBatch first).");
        }
        int others = _count - 1;
        if (others == 0 && !destination.IsEmpty)
        {
            throw OnlyRow(userIndex);
        }
        for (int k = 0; k < destination.Length; k++)
        {
            int other = row + 1 + k % others;
            destination[k] = _positives[other >= _count ? other - _count : other];
        }
    }
}
