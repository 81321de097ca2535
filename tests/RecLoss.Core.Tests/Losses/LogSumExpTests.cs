using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Losses;

/// <summary>The float log-sum-exp (vector passes) against the double one (scalar loop), which the gradient tests check.</summary>
public class LogSumExpTests
{
    // Lengths around the vector widths (8 and 16 floats) and the in-batch frame's 2,047 negatives.
    [Theory]
    [InlineData(1, 8.0)]
    [InlineData(7, 8.0)]
    [InlineData(15, 1.0 / 0.11)]
    [InlineData(16, 1.0 / 0.11)]
    [InlineData(17, 1.0 / 0.07)]
    [InlineData(100, 1.0 / 0.07)]
    [InlineData(2047, 1.0 / 0.12)]
    public void Float_MatchesDouble_LossAndWeights(int n, double scale)
    {
        var rng = new Xoshiro256(41 + (ulong)n);
        double first = rng.NextDouble() * 2 - 1;
        double[] x = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] expected = new double[n];
        double lseExpected = LossMath.LogSumExp(first, x, scale, expected, out double firstExpected);

        float[] xf = x.Select(v => (float)v).ToArray();
        float[] actual = new float[n];
        float lse = LossMath.LogSumExp((float)first, xf, (float)scale, actual, out float firstWeight);

        Assert.Equal(lseExpected, lse, 5e-6 * Math.Max(1, Math.Abs(lseExpected)));
        Assert.Equal(firstExpected, firstWeight, 1e-6 * Math.Max(firstExpected, 1e-3));
        for (int j = 0; j < n; j++)
        {
            Assert.True(Math.Abs(expected[j] - actual[j]) <= 2e-6 * expected[j] + 1e-12, $"weight {j}: {actual[j]} against {expected[j]}");
        }
        Assert.Equal(1.0, actual.Sum(v => (double)v) + firstWeight, 1e-5);
    }

    [Fact]
    public void Float_InPlace_UnderflowingTerms_AndNoFirst()
    {
        // Scores 1,000 apart at scale 10: every term but the largest underflows to 0, none gives NaN.
        float[] x = Enumerable.Range(0, 37).Select(j => j == 20 ? 0.5f : -1000f + j).ToArray();
        float lse = LossMath.LogSumExp<float>(x, 10f, x);
        Assert.Equal(5f, lse, 1e-5f);
        Assert.Equal(1f, x[20], 1e-6f);
        Assert.All(x.Where((_, j) => j != 20), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void Float_FirstIsTheMaximum_ShiftsByIt()
    {
        // The positive (first) above every x: the shift is its scaled score, so large scales do not overflow.
        float[] x = [-0.2f, 0.1f, 0.3f];
        float[] w = new float[3];
        float lse = LossMath.LogSumExp(0.9f, x, 1000f, w, out float firstWeight);
        Assert.Equal(900f, lse, 1e-3f);
        Assert.Equal(1f, firstWeight, 1e-6f);
        Assert.All(w, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Float_WithFirst_InPlace_EqualsTheSeparateOutput()
    {
        // The generalized loss's call: weights written over x, with a first term.
        var rng = new Xoshiro256(7);
        float[] x = Enumerable.Range(0, 45).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        float[] separate = new float[x.Length];
        float lse = LossMath.LogSumExp(0.4f, x, 1.5f, separate, out float w0);
        float inPlaceLse = LossMath.LogSumExp(0.4f, x, 1.5f, x, out float inPlaceW0);
        Assert.Equal(lse, inPlaceLse);
        Assert.Equal(w0, inPlaceW0);
        Assert.Equal(separate, x);
    }
}
