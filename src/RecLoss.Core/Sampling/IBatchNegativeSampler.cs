namespace RecLoss.Core.Sampling;

/// <summary>A sampler whose draws depend on the batch (in-batch negatives).</summary>
/// <remarks>The trainer calls <see cref="BeginBatch"/> serially before the batch's rows are drawn in parallel.</remarks>
public interface IBatchNegativeSampler : INegativeSampler
{
    /// <summary>The positive item of each row of the coming batch, in row order.</summary>
    void BeginBatch(ReadOnlySpan<int> positives);
}
