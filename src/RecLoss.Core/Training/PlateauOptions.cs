namespace RecLoss.Core.Training;

/// <summary>Learning rate on plateau, as the SimpleX/RecBox reference trains (its <c>reduce_lr_on_plateau</c>): each
/// evaluation of the watched split whose selection metric (Recall or NDCG at K) does not beat the best so far multiplies the rate by
/// <see cref="Factor"/>, floored at <see cref="MinLearningRate"/>, and puts the best epoch's parameters back. The
/// optimizer's moments and step count go on, as the reference reloads the model's weights and not its optimizer.</summary>
public sealed record PlateauOptions
{
    /// <summary>Multiplier of the rate at each plateau, in (0, 1). Reference: 0.1.</summary>
    public double Factor { get; init; } = Defaults.Factor;

    /// <summary>The rate is not cut below this (>= 0). Reference: 1e-6.</summary>
    public double MinLearningRate { get; init; } = Defaults.MinLearningRate;

    public static class Defaults
    {
        public const double Factor = 0.1;
        public const double MinLearningRate = 1e-6;
    }

    /// <summary>The rate after a plateau: rate x factor, not below the floor, and never above the rate itself (a run
    /// that starts below the floor keeps its rate rather than being raised to it).</summary>
    public double Next(double rate) => Math.Min(rate, Math.Max(rate * Factor, MinLearningRate));

    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range; the message names it.</exception>
    public void Validate()
    {
        ArgumentRange.Check(Factor, 0, 1, "The plateau factor", minExclusive: true, maxExclusive: true, parameter: nameof(Factor));
        ArgumentRange.Check(MinLearningRate, 0, double.PositiveInfinity, "The plateau's least learning rate", parameter: nameof(MinLearningRate));
    }
}
