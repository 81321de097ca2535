using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>How a user vector and an item vector give a score.</summary>
public enum ScoreKind
{
    /// <summary>Cosine similarity: both vectors L2-normalised, then the dot product.</summary>
    Cosine,

    /// <summary>Plain dot product.</summary>
    Dot,
}

/// <summary>A loss over one training row: one positive score and N negative scores.</summary>
/// <remarks>
/// Implementations are small readonly structs so that generic training loops specialise and inline them. The
/// method is generic in the floating-point type: training runs it in float, the gradient tests in double.
/// Batch reduction (the mean over rows) is the trainer's job.
/// </remarks>
public interface IRowLoss
{
    /// <summary>Short CLI name, e.g. "mml".</summary>
    string Name { get; }

    /// <summary>The score its reference code trains with.</summary>
    ScoreKind DefaultScore { get; }

    /// <summary>Returns the row's loss and writes dL/ds for the positive and for each negative score.</summary>
    T Evaluate<T>(T positive, ReadOnlySpan<T> negatives, out T dPositive, Span<T> dNegatives)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Calls <c>visitor.Visit(this)</c> with the concrete type, so generic loops specialise on it.</summary>
    TResult Accept<TResult>(IRowLossVisitor<TResult> visitor);
}

/// <summary>Receives a loss as its concrete struct type (see <see cref="IRowLoss.Accept{TResult}"/>).</summary>
public interface IRowLossVisitor<TResult>
{
    TResult Visit<TLoss>(TLoss loss)
        where TLoss : struct, IRowLoss;
}
