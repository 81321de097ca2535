using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Binary cross-entropy on the scores as logits: the positive labelled 1, every negative 0.</summary>
/// <remarks>
/// <c>L = -log sigmoid(s+) - w sum_j log(1 - sigmoid(s-_j)) = softplus(-s+) + w sum_j softplus(s-_j)</c>, with
/// dL/ds+ = sigmoid(s+) - 1 and dL/ds-_j = w sigmoid(s-_j). The reference (BSL code, REFERENCE.md) sums over all
/// B x (1 + N) scores of the batch with w = 1, so <see cref="Reduction"/> is <see cref="BatchReduction.Sum"/>;
/// w = 1/N weighs the positive as much as all the negatives together (the negatives averaged), a probe of why summed
/// BCE collapses. Default score: cosine, as the BSL code trains MF for its Table II.
/// </remarks>
public readonly struct BinaryCrossEntropyLoss : IRowLoss
{
    /// <summary>BCE as the reference sums it, w = 1 (a struct's parameterless constructor would otherwise zero w).</summary>
    public BinaryCrossEntropyLoss()
        : this(Defaults.NegativeWeight)
    {
    }

    public BinaryCrossEntropyLoss(double negativeWeight) =>
        NegativeWeight = ArgumentRange.Check(negativeWeight, 0, double.PositiveInfinity, "negative-weight");

    /// <summary>w, the weight of each negative's term (1 in the reference).</summary>
    public double NegativeWeight { get; }

    public string Name => "bce";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public BatchReduction Reduction => BatchReduction.Sum;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // softplus(-s) has derivative -sigmoid(-s) = sigmoid(s) - 1.
        T loss = LossMath.SoftplusAndSigmoid(-positive, out T sigmoidOfMinus);
        dPositive = -sigmoidOfMinus;
        T weight = T.CreateTruncating(NegativeWeight);
        T negativeSum = T.Zero;
        for (int j = 0; j < negatives.Length; j++)
        {
            negativeSum += LossMath.SoftplusAndSigmoid(negatives[j], out T sigmoid);
            dNegatives[j] = weight * sigmoid;
        }
        return loss + weight * negativeSum;
    }

    public static class Defaults
    {
        /// <summary>The reference's w: every negative's term counts fully (summed).</summary>
        public const double NegativeWeight = 1;
    }
}
