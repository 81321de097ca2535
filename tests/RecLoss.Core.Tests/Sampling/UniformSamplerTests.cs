using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class UniformSamplerTests
{
    // Critical values of chi-square at p = 0.001: a correct sampler fails once in a thousand seeds, and these are fixed.
    private const double Chi19 = 43.82, Chi15 = 37.70;

    [Fact]
    public void Draws_PassChiSquareAgainstUniform()
    {
        long[] counts = SamplerTestData.DrawCounts(new UniformSampler(20), 0, 20, seed: 11);
        double chi = SamplerTestData.ChiSquare(counts, Enumerable.Repeat(1 / 20.0, 20).ToArray());
        Assert.True(chi < Chi19, $"chi-square {chi:F1} with 19 degrees of freedom: [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void ExcludingPositives_PassChiSquareAgainstUniformOverTheRest()
    {
        // User 0 holds items 2, 5, 7, 11 of 20: draws are uniform over the other 16.
        var train = InteractionMatrix.FromPairs(1, 20, [0, 0, 0, 0], [2, 5, 7, 11], out _);
        long[] counts = SamplerTestData.DrawCounts(new UniformSampler(20, train), 0, 20, seed: 12);
        double[] p = Enumerable.Range(0, 20).Select(i => train.Contains(0, i) ? 0 : 1 / 16.0).ToArray();
        double chi = SamplerTestData.ChiSquare(counts, p);
        Assert.True(chi < Chi15, $"chi-square {chi:F1} with 15 degrees of freedom: [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void ExcludingPositives_NeverReturnsAPositive_OnRandomData()
    {
        for (ulong seed = 1; seed <= 30; seed++)
        {
            InteractionMatrix train = SamplerTestData.RandomTrain(seed, users: 25, items: 40, maxRow: 39);
            var sampler = new UniformSampler(40, train);
            var rng = new Xoshiro256(seed);
            int[] draws = new int[64];
            for (int u = 0; u < 25; u++)
            {
                sampler.Sample(ref rng, u, draws);
                foreach (int i in draws)
                {
                    Assert.False(train.Contains(u, i), $"seed {seed}: user {u} drew its own item {i}");
                }
            }
        }
    }

    [Fact]
    public void ExcludingPositives_ManyDrawsAtOnce_EqualOneDrawAtATime()
    {
        // A long row takes the bitmap test, single draws the binary search: same stream, same accepted items.
        InteractionMatrix train = SamplerTestData.RandomTrain(7, users: 20, items: 300, maxRow: 250);
        var sampler = new UniformSampler(300, train);
        for (int u = 0; u < 20; u++)
        {
            var a = new Xoshiro256((ulong)u);
            var b = a;
            int[] many = new int[200];
            sampler.Sample(ref a, u, many);
            int[] one = new int[1];
            int[] single = Enumerable.Range(0, 200).Select(_ =>
            {
                sampler.Sample(ref b, u, one);
                return one[0];
            }).ToArray();
            Assert.Equal(single, many);
            Assert.Equal(a.NextUInt32(), b.NextUInt32());
        }
    }

    [Fact]
    public void ExcludingPositives_UserWithEveryItem_IsRejected()
    {
        var train = InteractionMatrix.FromPairs(2, 3, [0, 1, 1, 1], [0, 0, 1, 2], out _);
        var e = Assert.Throws<NoNegativeException>(() => new UniformSampler(3, train));
        Assert.Equal(1, e.UserIndex);
        Assert.Contains("interacted with all 3 items", e.Message);
    }
}
