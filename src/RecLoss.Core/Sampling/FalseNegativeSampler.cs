using RecLoss.Core.Data;
using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Negative noise: some of each row's negatives are the user's own train items (false negatives), either a
/// fixed share of the row or, as the BSL paper's r_noise, by sampling weight.</summary>
/// <remarks>
/// Share r: the inner sampler fills the row, then the first m slots are replaced by uniform draws from the user's
/// train row, with <c>m = floor(r N + U)</c>, U uniform in [0, 1): exactly r N on average, never more than one away.
/// Weight w (<see cref="Weighted"/>; the BSL paper: "r_noise represents the ratio of the sampling probability of
/// positive samples to that of negative samples", its code weighting the user's train items w and every other item 1):
/// the inner sampler draws outside the user's items, and each slot independently becomes a uniform train item with
/// probability <c>q = w n_u / (w n_u + I - n_u)</c> for a user with n_u of the I items. w = 1 is uniform over all items.
/// Users without train items keep the inner draws.
/// </remarks>
public sealed class FalseNegativeSampler : IBatchNegativeSampler
{
    private readonly INegativeSampler _inner;
    private readonly InteractionMatrix _train;

    public FalseNegativeSampler(INegativeSampler inner, InteractionMatrix train, double ratio)
    {
        ArgumentRange.Check(ratio, 0, 1, "The false-negative ratio", parameter: nameof(ratio));
        _inner = inner;
        _train = train;
        Ratio = ratio;
    }

    private FalseNegativeSampler(INegativeSampler inner, InteractionMatrix train, double? weight, double ratio)
        : this(inner, train, ratio) => Weight = weight;

    /// <summary>The user's train items weighted <paramref name="weight"/> against 1 for every other item; the inner
    /// sampler must draw outside the user's items.</summary>
    public static FalseNegativeSampler Weighted(INegativeSampler inner, InteractionMatrix train, double weight) =>
        new(inner, train, ArgumentRange.Check(weight, 0, double.PositiveInfinity, "The false-negative weight", parameter: nameof(weight)), 0);

    public double Ratio { get; }

    /// <summary>The sampling weight of the user's train items; null when a fixed share is replaced instead.</summary>
    public double? Weight { get; }

    public string Name => Weight is null ? $"{_inner.Name}+false-negatives" : $"{_inner.Name}+weighted-positives";

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
        if (Weight is { } weight)
        {
            if (own.IsEmpty)
            {
                return;
            }
            double heavy = weight * own.Length;
            double q = heavy / (heavy + (_train.ItemCount - own.Length));
            for (int k = 0; k < destination.Length; k++)
            {
                if (rng.NextDouble() < q)
                {
                    destination[k] = own[rng.NextInt(own.Length)];
                }
            }
            return;
        }
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
