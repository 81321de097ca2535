using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Bayesian personalised ranking (BPR), Rendle et al. (UAI 2009), as the SimCE and BSL papers compare it.</summary>
/// <remarks>
/// <c>L = (1/N) sum_j -log sigmoid(s+ - s-_j) = (1/N) sum_j softplus(s-_j - s+)</c>: the mean over the row's
/// (positive, negative) pairs (REFERENCE.md). dL/ds-_j = sigmoid(s-_j - s+) / N, dL/ds+ = -sum_j of those.
/// No hyper-parameters. Default score: the dot product, as in BPR-MF and the LightGCN and SimCE reference code.
/// </remarks>
public readonly struct BprLoss : IRowLoss
{
    public string Name => "bpr";

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
        T loss = T.Zero;
        for (int j = 0; j < negatives.Length; j++)
        {
            loss += LossMath.SoftplusAndSigmoid(negatives[j] - positive, out T sigmoid);
            T g = sigmoid * inverseN;
            dNegatives[j] = g;
            dPositive -= g;
        }
        return loss * inverseN;
    }
}
