using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Multi-Margin Loss (MML), the headline loss of Ozsoy (2024).</summary>
/// <remarks>
/// This method effectively computes
/// <c>w_p * relu(1 - s+) + w_n * (1/N) * sum_j sum_k w_k * relu(s-_j - m_k)</c> (MML paper Eq. 7, with the CCL
/// choices f(u, i) = 1 - s(u, i) and f(u, i, j, m_k) = s(u, j) - m_k). Defaults are the paper's Yelp2018 settings:
/// margins [0.6, 0.7, 0.8, 0.9], weights [0.05, 0.15, 0.2, 0.6], w_p = 1, w_n = 400 (Section 4.1). With one margin of
/// weight 1 and w_p = 1 it is exactly CCL with w = w_n. Derivatives at the kinks are 0.
/// </remarks>
public readonly struct MultiMarginLoss : IRowLoss
{
    private readonly double[] _margins;
    private readonly double[] _marginWeights;

    /// <summary>MML with the paper's Yelp2018 settings (a struct's parameterless constructor would otherwise leave it empty).</summary>
    public MultiMarginLoss()
        : this(Defaults.Margins, Defaults.MarginWeights)
    {
    }

    public MultiMarginLoss(IReadOnlyList<double> margins, IReadOnlyList<double> marginWeights,
        double positiveWeight = Defaults.PositiveWeight, double negativeWeight = Defaults.NegativeWeight)
    {
        if (margins.Count == 0)
        {
            throw new ArgumentException("MML needs at least one margin.", nameof(margins));
        }
        if (margins.Count != marginWeights.Count)
        {
            throw new ArgumentException($"MML has {margins.Count} margins but {marginWeights.Count} margin weights; give one weight per margin.", nameof(marginWeights));
        }
        foreach (double m in margins)
        {
            ArgumentRange.Check(m, -1, 1, "margins", why: "the range of the cosine scores they are compared with");
        }
        foreach (double w in marginWeights)
        {
            ArgumentRange.Check(w, 0, double.PositiveInfinity, "margin-weights");
        }
        ArgumentRange.Check(positiveWeight, 0, double.PositiveInfinity, "positive-weight");
        ArgumentRange.Check(negativeWeight, 0, double.PositiveInfinity, "negative-weight");
        _margins = margins.ToArray();
        _marginWeights = marginWeights.ToArray();
        PositiveWeight = positiveWeight;
        NegativeWeight = negativeWeight;
        MinimumMargin = _margins.Min();
    }

    /// <summary>The paper's Yelp2018 configuration.</summary>
    public static MultiMarginLoss Yelp2018 => new();

    public IReadOnlyList<double> Margins => _margins;

    public IReadOnlyList<double> MarginWeights => _marginWeights;

    public double PositiveWeight { get; }

    public double NegativeWeight { get; }

    private double MinimumMargin { get; }

    public string Name => "mml";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One;
        T positiveWeight = T.CreateTruncating(PositiveWeight);
        T loss = T.Zero;
        dPositive = T.Zero;
        if (positive < one)
        {
            loss = positiveWeight * (one - positive);
            dPositive = -positiveWeight;
        }
        T scale = negatives.Length == 0 ? T.Zero : T.CreateTruncating(NegativeWeight) / T.CreateTruncating(negatives.Length);
        T minimumMargin = T.CreateTruncating(MinimumMargin);
        T sum = T.Zero;
        for (int j = 0; j < negatives.Length; j++)
        {
            T s = negatives[j];
            T slope = T.Zero;
            if (s > minimumMargin)
            {
                // sum_k w_k * relu(s - m_k) and its slope sum_k w_k * [s > m_k]
                for (int k = 0; k < _margins.Length; k++)
                {
                    T excess = s - T.CreateTruncating(_margins[k]);
                    if (excess > T.Zero)
                    {
                        T w = T.CreateTruncating(_marginWeights[k]);
                        sum += w * excess;
                        slope += w;
                    }
                }
            }
            dNegatives[j] = scale * slope;
        }
        return loss + scale * sum;
    }

    public static class Defaults
    {
        public static readonly double[] Margins = [0.6, 0.7, 0.8, 0.9];
        public static readonly double[] MarginWeights = [0.05, 0.15, 0.2, 0.6];
        public const double PositiveWeight = 1;
        public const double NegativeWeight = 400;
    }
}
