using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class HardNegativeSelectionTests
{
    [Fact]
    public void SelectTop_KeepsTheHighestScoresInCandidateOrder()
    {
        int[] candidates = [10, 11, 12, 13, 14, 15];
        float[] scores = [0.1f, 0.9f, -0.3f, 0.5f, 0.7f, 0.2f];
        int[] top = new int[3];
        HardNegativeSelection.SelectTop(candidates, scores, new float[6], top);
        Assert.Equal([11, 13, 14], top);
    }

    [Fact]
    public void SelectTop_TiesAtTheCut_GoToEarlierCandidates_NaNRanksLowest()
    {
        int[] candidates = [1, 2, 3, 4, 5];
        float[] scores = [float.NaN, 0.5f, 0.5f, 0.9f, 0.5f];
        int[] top = new int[3];
        HardNegativeSelection.SelectTop(candidates, scores, new float[5], top);
        Assert.Equal([2, 3, 4], top);

        float[] nan = [float.NaN, float.NaN, 0f];
        int[] two = new int[2];
        HardNegativeSelection.SelectTop([7, 8, 9], nan, new float[3], two);
        Assert.Equal([7, 9], two);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    [InlineData(64)]
    public void SelectTop_MatchesSortingOnRandomScoresWithDuplicates(int keep)
    {
        var rng = new Xoshiro256((ulong)keep);
        for (int trial = 0; trial < 200; trial++)
        {
            int m = 64;
            int[] candidates = Enumerable.Range(0, m).Select(k => 1000 + k).ToArray();
            // Few distinct values, so ties at the cut are common.
            float[] scores = Enumerable.Range(0, m).Select(_ => (float)rng.NextInt(12)).ToArray();
            int[] expected = Enumerable.Range(0, m).OrderByDescending(k => scores[k]).ThenBy(k => k).Take(keep)
                .Order().Select(k => candidates[k]).ToArray();
            int[] top = new int[keep];
            HardNegativeSelection.SelectTop(candidates, (float[])scores.Clone(), new float[m], top);
            Assert.Equal(expected, top);
        }
    }

    [Fact]
    public void SelectTop_MoreThanTheCandidates_Throws() =>
        Assert.Throws<ArgumentException>(() => HardNegativeSelection.SelectTop([1, 2], new float[2], new float[2], new int[3]));
}
