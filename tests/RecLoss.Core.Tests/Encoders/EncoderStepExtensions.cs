using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;

namespace RecLoss.Core.Tests.Encoders;

internal static class EncoderStepExtensions
{
    /// <summary>A step that reads every user's and every item's final vector.</summary>
    public static void BeginStepOnAll(this IEncoder encoder, ParallelRunner runner) =>
        encoder.BeginStep([.. Enumerable.Range(0, encoder.UserCount)], [.. Enumerable.Range(0, encoder.ItemCount)], [], runner);
}
