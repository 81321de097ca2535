using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>The contrastive loss of Chopra et al. (2005) on distances, the MML paper's Eq. 1.</summary>
/// <remarks>
/// <c>L = (1/2) d(u, i)^2 + (1/2) sum_j relu(m - d(u, j))^2</c>, summed over the row's items as Eq. 1 writes it.
/// Distances are those of the unit vectors behind cosine scores, <c>d^2 = 2 - 2s</c>, so the positive term is
/// <c>1 - s+</c> and dL/ds-_j = (m - d_j)/d_j inside the margin (d_j is clamped below at 1e-6, so s = 1 stays finite).
/// Cosine scores only. Default m = 1 (negatives closer than cos = 0.5 are pushed); Eq. 1 gives no value.
/// </remarks>
public readonly struct ContrastiveLoss : IRowLoss
{
    public ContrastiveLoss()
        : this(Defaults.Margin)
    {
    }

    public ContrastiveLoss(double margin) => Margin = ArgumentRange.Check(margin, 0, 2, "margin", minExclusive: true);

    public double Margin { get; }

    public string Name => "contrastive";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public ScoreKind? RequiredScore => ScoreKind.Cosine;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateTruncating(0.5);
        T margin = T.CreateTruncating(Margin);
        T loss = T.One - positive;
        dPositive = -T.One;
        for (int j = 0; j < negatives.Length; j++)
        {
            T d = Distance(negatives[j]);
            T gap = margin - d;
            if (gap > T.Zero)
            {
                loss += half * gap * gap;
                dNegatives[j] = gap / d;
            }
            else
            {
                dNegatives[j] = T.Zero;
            }
        }
        return loss;
    }

    /// <summary>|u^ - x^| = sqrt(2 - 2s) for unit vectors, clamped below at 1e-6.</summary>
    internal static T Distance<T>(T score) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Sqrt(T.Max(T.CreateTruncating(2) - T.CreateTruncating(2) * score, T.CreateTruncating(1e-12)));

    public static class Defaults
    {
        public const double Margin = 1;
    }
}
