using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Softmax loss (SL) of the BSL paper, Eq. 4-5: the positive left out of the denominator.</summary>
/// <remarks>
/// <c>L = -log( e^{s+/tau} / sum_j e^{s-_j/tau} ) = -s+/tau + LSE_j(s-_j/tau)</c> (REFERENCE.md), by log-sum-exp.
/// dL/ds+ = -1/tau, dL/ds-_j = softmax_j / tau. Eq. 5 writes the same loss times tau, less tau log N, which changes
/// the scale only. Default tau = 0.11, the BSL code's Yelp2018 MF temperature; default score: cosine, as the BSL
/// code trains MF. <see cref="BilateralSoftmaxLoss"/> with tau2 = 1 is this loss.
/// </remarks>
public readonly struct SoftmaxLoss : IRowLoss
{
    public SoftmaxLoss()
        : this(Defaults.Temperature)
    {
    }

    public SoftmaxLoss(double temperature) => Temperature = ArgumentRange.Check(temperature, 0, double.PositiveInfinity, "temperature", minExclusive: true);

    public double Temperature { get; }

    public string Name => "sl";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inverseTau = T.One / T.CreateTruncating(Temperature);
        dPositive = -inverseTau;
        if (negatives.IsEmpty)
        {
            return -positive * inverseTau;
        }
        T lse = LossMath.LogSumExp(negatives, inverseTau, dNegatives);
        for (int j = 0; j < negatives.Length; j++)
        {
            dNegatives[j] *= inverseTau;
        }
        return lse - positive * inverseTau;
    }

    public static class Defaults
    {
        public const double Temperature = 0.11;
    }
}
