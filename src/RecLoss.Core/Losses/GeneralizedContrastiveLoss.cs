using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>The positive term P(s+) of <see cref="GeneralizedContrastiveLoss"/>.</summary>
public enum PositiveTerm
{
    /// <summary>0 (triplet, InfoNCE).</summary>
    None,

    /// <summary>1 - s+, which is d(u, i)^2 / 2 for unit vectors (contrastive, Eq. 1).</summary>
    Linear,

    /// <summary>relu(1 - s+) (CCL, MML).</summary>
    Hinge,
}

/// <summary>The inner function f(u, i, j, m) of <see cref="GeneralizedContrastiveLoss"/>, in scores (d^2 = 2 - 2s).</summary>
public enum NegativeTerm
{
    /// <summary>s-_j - m (CCL, MML).</summary>
    Similarity,

    /// <summary>m - d(u, j) (contrastive, Eq. 1).</summary>
    Distance,

    /// <summary>d(u, i)^2 - d(u, j)^2 + m = 2 s-_j - 2 s+ + m (triplet, Eq. 3).</summary>
    Triplet,

    /// <summary>s-_j, no margin (InfoNCE, Eq. 4).</summary>
    Score,
}

/// <summary>The function phi applied to f before the margins' weights.</summary>
public enum Activation
{
    /// <summary>relu(x).</summary>
    Relu,

    /// <summary>relu(x)^2 / 2.</summary>
    HalfSquaredRelu,

    /// <summary>x.</summary>
    Identity,
}

/// <summary>How the per-negative terms x_j are combined.</summary>
public enum Aggregation
{
    /// <summary>(1/N) sum_j x_j.</summary>
    Mean,

    /// <summary>sum_j x_j.</summary>
    Sum,

    /// <summary>log(e^{s+} + sum_j e^{x_j}) - s+, the softmax cross-entropy with the positive in the denominator.</summary>
    Softmax,
}

/// <summary>The MML paper's generalized contrastive loss (Section 3.1), with the choices that give each of its instances.</summary>
/// <remarks>
/// <c>L = w_p P(s+) + w_n A_j( sum_k w_k phi(f(u, i, j, m_k)) )</c>. The paper's Section 3.1 names the pieces (w_p, w_n,
/// f, a set-wise sum over N negatives; MML adds margins m_k with weights w_k); its equation is lost from our copy of the
/// text, so P, phi and A are made explicit here. Instances, each checked by a test against its own type:
/// CCL (Hinge, Similarity, Relu, Mean), MML (the same with several margins), contrastive Eq. 1 (Linear, Distance,
/// HalfSquaredRelu, Sum), triplet Eq. 3 (None, Triplet, Relu, Sum) and InfoNCE Eq. 4 (None, Score, Identity, Softmax).
/// Defaults are MML's Yelp2018 settings. Distances assume cosine scores.
/// </remarks>
public readonly struct GeneralizedContrastiveLoss : IRowLoss
{
    private readonly double[] _margins;
    private readonly double[] _marginWeights;

    public GeneralizedContrastiveLoss()
        : this(PositiveTerm.Hinge, NegativeTerm.Similarity, Activation.Relu, Aggregation.Mean,
            MultiMarginLoss.Defaults.Margins, MultiMarginLoss.Defaults.MarginWeights,
            MultiMarginLoss.Defaults.PositiveWeight, MultiMarginLoss.Defaults.NegativeWeight)
    {
    }

    public GeneralizedContrastiveLoss(PositiveTerm positiveTerm, NegativeTerm negativeTerm, Activation activation, Aggregation aggregation,
        IReadOnlyList<double> margins, IReadOnlyList<double> marginWeights, double positiveWeight, double negativeWeight)
    {
        if (margins.Count == 0 || margins.Count != marginWeights.Count)
        {
            throw new ArgumentException($"margins has {margins.Count} values and margin-weights {marginWeights.Count}; give at least one margin and one weight per margin.", nameof(marginWeights));
        }
        foreach (double m in margins)
        {
            ArgumentRange.Check(m, -4, 4, "margins");
        }
        foreach (double w in marginWeights)
        {
            ArgumentRange.Check(w, 0, double.PositiveInfinity, "margin-weights");
        }
        PositiveTerm = positiveTerm;
        NegativeTerm = negativeTerm;
        Activation = activation;
        Aggregation = aggregation;
        _margins = margins.ToArray();
        _marginWeights = marginWeights.ToArray();
        PositiveWeight = ArgumentRange.Check(positiveWeight, 0, double.PositiveInfinity, "positive-weight");
        NegativeWeight = ArgumentRange.Check(negativeWeight, 0, double.PositiveInfinity, "negative-weight");
    }

    public PositiveTerm PositiveTerm { get; }
    public NegativeTerm NegativeTerm { get; }
    public Activation Activation { get; }
    public Aggregation Aggregation { get; }
    public IReadOnlyList<double> Margins => _margins;
    public IReadOnlyList<double> MarginWeights => _marginWeights;
    public double PositiveWeight { get; }
    public double NegativeWeight { get; }

    public string Name => "generalized";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public ScoreKind? RequiredScore => NegativeTerm is NegativeTerm.Distance or NegativeTerm.Triplet ? ScoreKind.Cosine : null;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wp = T.CreateTruncating(PositiveWeight), wn = T.CreateTruncating(NegativeWeight);
        T loss = T.Zero;
        dPositive = T.Zero;
        if (PositiveTerm == PositiveTerm.Linear || (PositiveTerm == PositiveTerm.Hinge && positive < T.One))
        {
            loss = wp * (T.One - positive);
            dPositive = -wp;
        }
        if (negatives.IsEmpty)
        {
            return loss;
        }

        // x_j into dNegatives' place first; dx_j/ds-_j and dx_j/ds+ follow from the same pass.
        T sumX = T.Zero, dxPositiveSum = T.Zero;
        Span<T> x = dNegatives;
        for (int j = 0; j < negatives.Length; j++)
        {
            x[j] = Inner(positive, negatives[j], out _, out _);
            sumX += x[j];
        }
        T n = T.CreateTruncating(negatives.Length);
        T aggregate;
        T positiveShare = T.Zero;       // dA/ds+ through the explicit s+ of the softmax
        if (Aggregation == Aggregation.Softmax)
        {
            // x becomes dA/dx_j, the softmax weights.
            aggregate = LossMath.LogSumExp(positive, x, T.One, x, out T positiveWeight) - positive;
            positiveShare = positiveWeight - T.One;
        }
        else
        {
            aggregate = Aggregation == Aggregation.Mean ? sumX / n : sumX;
            T a = Aggregation == Aggregation.Mean ? T.One / n : T.One;
            for (int j = 0; j < negatives.Length; j++)
            {
                x[j] = a;
            }
        }
        for (int j = 0; j < negatives.Length; j++)
        {
            Inner(positive, negatives[j], out T dxdNegative, out T dxdPositive);
            T dAdx = x[j];
            dNegatives[j] = wn * dAdx * dxdNegative;
            dxPositiveSum += dAdx * dxdPositive;
        }
        dPositive += wn * (dxPositiveSum + positiveShare);
        return loss + wn * aggregate;
    }

    /// <summary>x = sum_k w_k phi(f(s+, s-, m_k)) and its partial derivatives.</summary>
    private T Inner<T>(T positive, T negative, out T dNegative, out T dPositive)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T two = T.CreateTruncating(2);
        T distance = NegativeTerm == NegativeTerm.Distance ? ContrastiveLoss.Distance(negative) : T.Zero;
        T x = T.Zero, slope = T.Zero;
        for (int k = 0; k < _margins.Length; k++)
        {
            T m = T.CreateTruncating(_margins[k]);
            T f = NegativeTerm switch
            {
                NegativeTerm.Similarity => negative - m,
                NegativeTerm.Distance => m - distance,
                NegativeTerm.Triplet => two * negative - two * positive + m,
                _ => negative,
            };
            T w = T.CreateTruncating(_marginWeights[k]);
            switch (Activation)
            {
                case Activation.Relu:
                    if (f > T.Zero)
                    {
                        x += w * f;
                        slope += w;
                    }
                    break;
                case Activation.HalfSquaredRelu:
                    if (f > T.Zero)
                    {
                        x += w * T.CreateTruncating(0.5) * f * f;
                        slope += w * f;
                    }
                    break;
                default:
                    x += w * f;
                    slope += w;
                    break;
            }
        }
        // df/ds-: 1, 1/d (since dd/ds = -1/d), 2, 1; df/ds+: -2 for the triplet only.
        dNegative = NegativeTerm switch
        {
            NegativeTerm.Distance => slope / distance,
            NegativeTerm.Triplet => two * slope,
            _ => slope,
        };
        dPositive = NegativeTerm == NegativeTerm.Triplet ? -two * slope : T.Zero;
        return x;
    }
}
