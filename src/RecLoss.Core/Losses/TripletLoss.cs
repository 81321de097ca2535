using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>The triplet loss of FaceNet (Schroff et al., 2015), the MML paper's Eq. 3.</summary>
/// <remarks>
/// <c>L = sum_j relu(d(u, i)^2 - d(u, j)^2 + m)</c>, summed over the row's negatives as Eq. 3 writes it, on the
/// distances of unit vectors (<c>d^2 = 2 - 2s</c>): <c>relu(2 s-_j - 2 s+ + m)</c>. Inside the margin dL/ds-_j = 2 and
/// dL/ds+ = -2 per active negative. Cosine scores only. Default m = 0.2, FaceNet's margin on squared distances of
/// unit embeddings.
/// </remarks>
public readonly struct TripletLoss : IRowLoss
{
    public TripletLoss()
        : this(Defaults.Margin)
    {
    }

    public TripletLoss(double margin) => Margin = ArgumentRange.Check(margin, 0, 4, "margin");

    public double Margin { get; }

    public string Name => "triplet";

    public ScoreKind DefaultScore => ScoreKind.Cosine;

    public ScoreKind? RequiredScore => ScoreKind.Cosine;

    public TResult Accept<TResult>(IRowLossVisitor<TResult> visitor) => visitor.Visit(this);

    public T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T two = T.CreateTruncating(2);
        T offset = T.CreateTruncating(Margin) - two * positive;
        T loss = T.Zero;
        dPositive = T.Zero;
        for (int j = 0; j < negatives.Length; j++)
        {
            T x = offset + two * negatives[j];
            if (x > T.Zero)
            {
                loss += x;
                dNegatives[j] = two;
                dPositive -= two;
            }
            else
            {
                dNegatives[j] = T.Zero;
            }
        }
        return loss;
    }

    public static class Defaults
    {
        public const double Margin = 0.2;
    }
}
