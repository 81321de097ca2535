using RecLoss.Core.Data;
using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Negative noise for the BSL paper's robustness experiments: a share r_noise of each row's negatives are the
/// user's own train items (false negatives).</summary>
/// <remarks>
/// The inner sampler fills the row, then the first m slots are replaced by uniform draws from the user's train row,
/// with <c>m = floor(r N + U)</c>, U uniform in [0, 1): exactly r N on average and never more than one away from it.
/// The BSL paper implements its r_noise the same way, "during negative sampling, where a certain portion of positive
/// instances are sampled as negatives" (Sec. III-C). Users without train items keep the inner draws.
/// </remarks>
public sealed class FalseNegativeSampler : IBatchNegativeSampler
{
    private readonly INegativeSampler _inner;
    private readonly InteractionMatrix _train;

    public FalseNegativeSampler(INegativeSampler inner, InteractionMatrix train, double ratio)
    {
        if (!(ratio >= 0 && ratio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, $"The false-negative ratio must lie in [0, 1]; got {ratio}.");
        }
        _inner = inner;
        _train = train;
        Ratio = ratio;
    }

    public double Ratio { get; }

    public string Name => $"{_inner.Name}+false-negatives";

    public void BeginBatch(ReadOnlySpan<int> positives) => (_inner as IBatchNegativeSampler)?.BeginBatch(positives);

    public void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination) => SampleRow(ref rng, -1, userIndex, destination);

    /// <summary>The inner sampler's row (or plain draw when it needs no row), then the false negatives.</summary>
    public void SampleRow(ref Xoshiro256 rng, int row, int userIndex, Span<int> destination)
    {
        if (_inner is IBatchNegativeSampler batch && row >= 0)
        {
            batch.SampleRow(ref rng, row, userIndex, destination);
        }
        else
        {
            _inner.Sample(ref rng, userIndex, destination);
        }
        ReadOnlySpan<int> own = _train.Row(userIndex);
        int replaced = Math.Min(destination.Length, (int)Math.Floor(Ratio * destination.Length + rng.NextDouble()));
        if (own.IsEmpty)
        {
            return;
        }
        for (int k = 0; k < replaced; k++)
        {
            destination[k] = own[rng.NextInt(own.Length)];
        }
    }
}
