using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Binary cross-entropy on the scores as logits: the positive labelled 1, every negative 0.</summary>
/// <remarks>
/// <c>L = -log sigmoid(s+) - sum_j log(1 - sigmoid(s-_j)) = softplus(-s+) + sum_j softplus(s-_j)</c>, with
/// dL/ds+ = sigmoid(s+) - 1 and dL/ds-_j = sigmoid(s-_j). The reference (BSL code, REFERENCE.md) sums over all
/// B x (1 + N) scores of the batch, so <see cref="Reduction"/> is <see cref="BatchReduction.Sum"/>. No
/// hyper-parameters. Default score: cosine, as the BSL code trains MF for its Table II.
/// </remarks>
public readonly struct BinaryCrossEntropyLoss : IRowLoss
{
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
        for (int j = 0; j < negatives.Length; j++)
        {
            loss += LossMath.SoftplusAndSigmoid(negatives[j], out T sigmoid);
            dNegatives[j] = sigmoid;
        }
        return loss;
    }
}
