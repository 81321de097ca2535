using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Cosine contrastive loss (CCL) of SimpleX.</summary>
/// <remarks>
/// This method effectively computes <c>relu(1 - s+) + w * (1/N) * sum_j relu(s-_j - m)</c>
/// (MML paper Eq. 2; Mao et al., SimpleX, CIKM 2021). Defaults m = 0.9, w = 150 are the SimpleX/MML reference
/// settings for MF on Yelp2018 and Gowalla. Derivatives at the hinge kinks are taken as 0 (the relu convention).
/// </remarks>
public readonly struct CosineContrastiveLoss : IRowLoss
{
    /// <summary>CCL with the reference defaults (a struct's parameterless constructor would otherwise zero them).</summary>
    public CosineContrastiveLoss()
        : this(Defaults.Margin, Defaults.NegativeWeight)
    {
    }

    public CosineContrastiveLoss(double margin, double negativeWeight)
    {
        Margin = ArgumentRange.Check(margin, -1, 1, "margin", why: "the range of the cosine scores it is compared with");
        NegativeWeight = ArgumentRange.Check(negativeWeight, 0, double.PositiveInfinity, "negative-weight");
    }

    public double Margin { get; }

    public double NegativeWeight { get; }

    public string Name => "ccl";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One;
        T loss = T.Zero;
        dPositive = T.Zero;
        if (positive < one)
        {
            loss = one - positive;
            dPositive = -one;
        }
        T margin = T.CreateTruncating(Margin);
        T scale = negatives.Length == 0 ? T.Zero : T.CreateTruncating(NegativeWeight) / T.CreateTruncating(negatives.Length);
        T sum = T.Zero;
        for (int j = 0; j < negatives.Length; j++)
        {
            T excess = negatives[j] - margin;
            if (excess > T.Zero)
            {
                sum += excess;
                dNegatives[j] = scale;
            }
            else
            {
                dNegatives[j] = T.Zero;
            }
        }
        return loss + scale * sum;
    }

    public static class Defaults
    {
        public const double Margin = 0.9;
        public const double NegativeWeight = 150;
    }
}
