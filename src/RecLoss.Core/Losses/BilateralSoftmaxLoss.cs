using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Which of the two published forms of BSL to compute.</summary>
public enum BslForm
{
    /// <summary>The BSL code: <c>-log( e^{s+/tau1} / (sum_j e^{s-_j/tau1})^{tau2} ) = -s+/tau1 + tau2 LSE_j(s-_j/tau1)</c>.</summary>
    Reference,

    /// <summary>BSL paper Eq. 18: <c>-tau1 log E_i[e^{s_i/tau1}] + tau2 log E_j[e^{s-_j/tau2}]</c>.</summary>
    Paper,
}

/// <summary>Bilateral softmax loss (BSL), Wu et al., the BSL paper's Eq. 18 and its reference code.</summary>
/// <remarks>
/// Per row, with one positive: <see cref="BslForm.Reference"/> gives <c>-s+/tau1 + tau2 LSE_j(s-_j/tau1)</c> (SL with
/// temperature tau1 when tau2 = 1); <see cref="BslForm.Paper"/> gives <c>-s+ + tau2 (LSE_j(s-_j/tau2) - log N)</c>, in
/// which tau1 drops out because the expectation over positives holds one term.
/// The expectation over a user's positives: by default each row's own positive (the single-positive form, what the
/// reference code computes). With <see cref="PoolPositives"/> the trainer pools the positives of the user's rows in
/// the batch, <c>E_i[e^{s_i/tau1}] = (1/|P_u|) sum_{r in P_u} e^{s+_r/tau1}</c>, and every row of the user carries that
/// pooled positive part (<see cref="IRowLoss.Pooling"/>); a user with one row in the batch gets the single form back.
/// Defaults tau1 = 0.11, tau2 = 1.10: the BSL code's Yelp2018 MF settings (REFERENCE.md). Default score: cosine.
/// </remarks>
public readonly struct BilateralSoftmaxLoss : IRowLoss
{
    public BilateralSoftmaxLoss()
        : this(Defaults.PositiveTemperature, Defaults.NegativeTemperature)
    {
    }

    public BilateralSoftmaxLoss(double positiveTemperature, double negativeTemperature, BslForm form = BslForm.Reference, bool poolPositives = false)
    {
        PositiveTemperature = ArgumentRange.Check(positiveTemperature, 0, double.PositiveInfinity, "temperature", minExclusive: true);
        NegativeTemperature = ArgumentRange.Check(negativeTemperature, 0, double.PositiveInfinity, "temperature-negative", minExclusive: true);
        Form = form;
        PoolPositives = poolPositives;
    }

    /// <summary>tau1.</summary>
    public double PositiveTemperature { get; }

    /// <summary>tau2.</summary>
    public double NegativeTemperature { get; }

    public BslForm Form { get; }

    public bool PoolPositives { get; }

    public string Name => "bsl";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    /// <summary>Positive part <c>-c log E e^{s+/tau1}</c> with c = 1 (reference form) or tau1 (paper form).</summary>
    public PositivePooling Pooling => PoolPositives
        ? new PositivePooling(true, PositiveTemperature, Form == BslForm.Reference ? 1 : PositiveTemperature)
        : PositivePooling.None;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T tau1 = T.CreateTruncating(PositiveTemperature), tau2 = T.CreateTruncating(NegativeTemperature);
        T positivePart, negativeScale;
        if (Form == BslForm.Reference)
        {
            dPositive = -T.One / tau1;
            positivePart = positive * dPositive;
            negativeScale = T.One / tau1;
        }
        else
        {
            dPositive = -T.One;
            positivePart = -positive;
            negativeScale = T.One / tau2;
        }
        if (negatives.IsEmpty)
        {
            return positivePart;
        }
        T lse = LossMath.LogSumExp(negatives, negativeScale, dNegatives);
        // d/ds_j of tau2 LSE(s/t) = tau2 softmax_j / t.
        T factor = tau2 * negativeScale;
        for (int j = 0; j < negatives.Length; j++)
        {
            dNegatives[j] *= factor;
        }
        T negativePart = Form == BslForm.Reference ? tau2 * lse : tau2 * (lse - T.Log(T.CreateTruncating(negatives.Length)));
        return positivePart + negativePart;
    }

    public static class Defaults
    {
        public const double PositiveTemperature = 0.11;
        public const double NegativeTemperature = 1.10;
    }
}
