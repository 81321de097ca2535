using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Sampled softmax cross-entropy (SSM), also InfoNCE: the positive inside the denominator.</summary>
/// <remarks>
/// <c>L = -log( e^{s+/tau} / (e^{s+/tau} + sum_j e^{s-_j/tau}) ) = LSE(s+/tau, s-_1/tau, ...) - s+/tau</c>
/// (MML paper Eq. 4, SimCE paper Eq. 4), computed by log-sum-exp so that no exponential overflows. With
/// p = softmax over all 1 + N: dL/ds+ = (p+ - 1)/tau, dL/ds-_j = p_j/tau. Default tau = 1 (the equations have none);
/// default score: the dot product, as in the SimCE code. With one negative and tau = 1 it is the logistic pairwise
/// loss softplus(s- - s+), i.e. BPR.
/// </remarks>
public readonly struct SampledSoftmaxLoss : IRowLoss
{
    public SampledSoftmaxLoss()
        : this(Defaults.Temperature)
    {
    }

    public SampledSoftmaxLoss(double temperature) => Temperature = ArgumentRange.Check(temperature, 0, double.PositiveInfinity, "temperature", minExclusive: true);

    public double Temperature { get; }

    public string Name => "ssm";

    public ScoreKind DefaultScore => ScoreKind.Dot;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inverseTau = T.One / T.CreateTruncating(Temperature);
        T lse = LossMath.LogSumExp(positive, negatives, inverseTau, dNegatives, out T positiveWeight);
        for (int j = 0; j < negatives.Length; j++)
        {
            dNegatives[j] *= inverseTau;
        }
        dPositive = (positiveWeight - T.One) * inverseTau;
        return lse - positive * inverseTau;
    }

    public static class Defaults
    {
        public const double Temperature = 1;
    }
}
