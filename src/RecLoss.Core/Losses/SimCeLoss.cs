using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Simplified sampled softmax cross-entropy (SimCE), the SimCE paper's Eq. 7.</summary>
/// <remarks>
/// <c>L = relu(gamma - s+ + max_j s-_j)</c>: the upper bound of SSM in which log N becomes the margin gamma, so only the
/// hardest negative receives a gradient (the first one on ties). Default gamma = 1, the smallest of the paper's
/// grid {1, 5, 10}; default score: the dot product, as the SimCE code uses it. With one negative it is the pairwise
/// hinge loss with margin gamma.
/// </remarks>
public readonly struct SimCeLoss : IRowLoss
{
    public SimCeLoss()
        : this(Defaults.Gamma)
    {
    }

    public SimCeLoss(double gamma) => Gamma = ArgumentRange.Check(gamma, 0, double.PositiveInfinity, "gamma");

    public double Gamma { get; }

    public string Name => "simce";

    public ScoreKind DefaultScore => ScoreKind.Dot;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        dPositive = T.Zero;
        if (negatives.IsEmpty)
        {
            return T.Zero;
        }
        int hardest = 0;
        for (int j = 0; j < negatives.Length; j++)
        {
            dNegatives[j] = T.Zero;
            if (negatives[j] > negatives[hardest])
            {
                hardest = j;
            }
        }
        T x = T.CreateTruncating(Gamma) - positive + negatives[hardest];
        if (x <= T.Zero)
        {
            return T.Zero;
        }
        dPositive = -T.One;
        dNegatives[hardest] = T.One;
        return x;
    }

    public static class Defaults
    {
        public const double Gamma = 1;
    }
}
