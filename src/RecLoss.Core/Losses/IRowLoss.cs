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

/// <summary>How the trainer reduces the row losses of a batch.</summary>
public enum BatchReduction
{
    /// <summary>The mean over rows (every loss's reference except BCE's).</summary>
    Mean,

    /// <summary>The sum over rows.</summary>
    Sum,
}

/// <summary>Whether the positive part is pooled over the positives a user has in the batch (BSL, Eq. 18).</summary>
/// <param name="Enabled">Pool, instead of each row using its own positive.</param>
/// <param name="Temperature">tau1 in <c>-Scale log E_{r in P_u}[e^{s+_r / tau1}]</c>.</param>
/// <param name="Scale">The factor before the log.</param>
public readonly record struct PositivePooling(bool Enabled, double Temperature, double Scale)
{
    public static PositivePooling None => default;
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

    /// <summary>The only score the loss is defined on (distance-based losses need unit vectors), or null for any.</summary>
    ScoreKind? RequiredScore => null;

    /// <summary>Mean (default) or sum over the batch's rows.</summary>
    BatchReduction Reduction => BatchReduction.Mean;

    /// <summary>Pooling of the positive part over a user's rows in the batch; the row's own positive by default.</summary>
    /// <remarks>When enabled, <see cref="Evaluate{T}"/> still returns the single-positive form; the trainer replaces the
    /// positive part <c>-Scale s+ / Temperature</c> by the pooled one.</remarks>
    PositivePooling Pooling => PositivePooling.None;

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
