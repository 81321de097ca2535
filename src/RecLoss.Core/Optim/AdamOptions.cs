namespace RecLoss.Core.Optim;

/// <summary>Adam with L2 over whole tables and clipping by global gradient norm, as the MML/SimpleX reference trains.</summary>
public sealed record AdamOptions
{
    /// <summary>Step size (float, > 0). Reference: 1e-4.</summary>
    public double LearningRate { get; init; } = Defaults.LearningRate;

    /// <summary>First-moment decay (in [0, 1)). Reference: 0.9.</summary>
    public double Beta1 { get; init; } = Defaults.Beta1;

    /// <summary>Second-moment decay (in [0, 1)). Reference: 0.999.</summary>
    public double Beta2 { get; init; } = Defaults.Beta2;

    /// <summary>Denominator guard (> 0). Reference: 1e-8.</summary>
    public double Epsilon { get; init; } = Defaults.Epsilon;

    /// <summary>lambda of the regulariser <c>(lambda/2) ||W||^2</c> over every row of every table (>= 0). Yelp2018: 1e-9.</summary>
    public double L2 { get; init; } = Defaults.L2;

    /// <summary>Largest global gradient norm; larger gradients are scaled down to it. 0 turns clipping off. Reference: 10.</summary>
    public double ClipNorm { get; init; } = Defaults.ClipNorm;

    public static class Defaults
    {
        public const double LearningRate = 1e-4;
        public const double Beta1 = 0.9;
        public const double Beta2 = 0.999;
        public const double Epsilon = 1e-8;
        public const double L2 = 1e-9;
        public const double ClipNorm = 10;
    }

    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range; the message names it.</exception>
    public void Validate()
    {
        ArgumentRange.Check(LearningRate, 0, double.PositiveInfinity, "The learning rate", minExclusive: true, parameter: nameof(LearningRate));
        ArgumentRange.Check(Beta1, 0, 1, "Beta1", maxExclusive: true);
        ArgumentRange.Check(Beta2, 0, 1, "Beta2", maxExclusive: true);
        ArgumentRange.Check(Epsilon, 0, double.PositiveInfinity, "Epsilon", minExclusive: true);
        ArgumentRange.Check(L2, 0, double.PositiveInfinity, "The L2 weight", parameter: nameof(L2));
        ArgumentRange.Check(ClipNorm, 0, double.PositiveInfinity, "The clipping norm", why: "0 turns clipping off", parameter: nameof(ClipNorm));
    }
}
