namespace RecLoss.Core.Sampling;

/// <summary>A sampler whose draws depend on the batch (in-batch negatives).</summary>
/// <remarks>The trainer calls <see cref="BeginBatch"/> serially before the batch's rows are drawn in parallel.</remarks>
public interface IBatchNegativeSampler : INegativeSampler
{
    /// <summary>The positive item of each row of the coming batch, in row order.</summary>
    void BeginBatch(ReadOnlySpan<int> positives);

    /// <summary>Fills the negatives of the batch's row <paramref name="row"/> (0-based, in the order of
    /// <see cref="BeginBatch"/>); samplers that do not need the row draw as <see cref="INegativeSampler.Sample"/>.</summary>
    void SampleRow(ref Numerics.Xoshiro256 rng, int row, int userIndex, Span<int> destination) => Sample(ref rng, userIndex, destination);
}
