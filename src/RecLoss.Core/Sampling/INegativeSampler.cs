using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Draws the negative items of one training row.</summary>
/// <remarks>
/// The random stream is passed in: the trainer derives it from (seed, epoch, row position), so a row's negatives
/// do not depend on which thread draws them.
/// </remarks>
public interface INegativeSampler
{
    /// <summary>Short CLI name, e.g. "uniform".</summary>
    string Name { get; }

    /// <summary>Fills <paramref name="destination"/> with negatives for <paramref name="userIndex"/>.</summary>
    void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination);
}
