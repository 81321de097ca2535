namespace RecLoss.Core.Sampling;

/// <summary>Some user has no item its negatives may be drawn from (it interacted with all of them, or with every positive
/// of its batch); <see cref="UserIndex"/> lets a front end name the user by its original id.</summary>
public sealed class NoNegativeException(int userIndex, string reason) : Exception($"user index {userIndex} {reason}")
{
    public int UserIndex { get; } = userIndex;

    /// <summary>The message without the user: "interacted with all 40 items, so ...".</summary>
    public string Reason { get; } = reason;
}
