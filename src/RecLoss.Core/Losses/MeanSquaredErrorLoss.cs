using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Squared error against the implicit labels: 1 for the positive, 0 for every negative.</summary>
/// <remarks>
/// <c>L = (s+ - 1)^2 / 2 + sum_j (s-_j)^2 / 2</c> (REFERENCE.md), so dL/ds+ = s+ - 1 and dL/ds-_j = s-_j. No
/// hyper-parameters. Default score: cosine, as the BSL code trains MF for its Table II.
/// </remarks>
public readonly struct MeanSquaredErrorLoss : IRowLoss
{
    public string Name => "mse";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateTruncating(0.5);
        dPositive = positive - T.One;
        T loss = half * dPositive * dPositive;
        for (int j = 0; j < negatives.Length; j++)
        {
            T s = negatives[j];
            loss += half * s * s;
            dNegatives[j] = s;
        }
        return loss;
    }
}
