using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Pairwise hinge (margin ranking) loss.</summary>
/// <remarks>
/// <c>L = (1/N) sum_j relu(m - s+ + s-_j)</c>, the mean over the row's pairs (REFERENCE.md); derivative 0 at the kink.
/// Default m = 1, the SimCE paper's smallest margin, so that SimCE with one negative is this loss. Default score:
/// the dot product, as SimCE's.
/// </remarks>
public readonly struct PairwiseHingeLoss : IRowLoss
{
    public PairwiseHingeLoss()
        : this(Defaults.Margin)
    {
    }

    public PairwiseHingeLoss(double margin) => Margin = ArgumentRange.Check(margin, 0, double.PositiveInfinity, "margin");

    public double Margin { get; }

    public string Name => "hinge";

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
        T inverseN = T.One / T.CreateTruncating(negatives.Length);
        T offset = T.CreateTruncating(Margin) - positive;
        T loss = T.Zero;
        for (int j = 0; j < negatives.Length; j++)
        {
            T x = offset + negatives[j];
            bool active = x > T.Zero;
            loss += active ? x : T.Zero;
            dNegatives[j] = active ? inverseN : T.Zero;
            dPositive -= dNegatives[j];
        }
        return loss * inverseN;
    }

    public static class Defaults
    {
        public const double Margin = 1;
    }
}
