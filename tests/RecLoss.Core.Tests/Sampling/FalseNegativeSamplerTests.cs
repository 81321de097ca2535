using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class FalseNegativeSamplerTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.37)]
    [InlineData(1.0)]
    public void ShareOfOwnItems_IsTheRatio(double ratio)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 20, Seed = 5 });
        // The inner sampler excludes positives, so every positive among the negatives was injected.
        var sampler = new FalseNegativeSampler(new UniformSampler(data.ItemCount, data.Train), data.Train, ratio);
        var rng = new Xoshiro256(17);
        var buffer = new int[50];
        long injected = 0, total = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int u = 0; u < data.UserCount; u++)
            {
                sampler.Sample(ref rng, u, buffer);
                ReadOnlySpan<int> row = data.Train.Row(u);
                int own = 0;
                foreach (int i in buffer)
                {
                    own += row.BinarySearch(i) >= 0 ? 1 : 0;
                }
                // Per row: floor(r N) or floor(r N) + 1 slots, never more or fewer.
                Assert.InRange(own, (int)Math.Floor(ratio * buffer.Length), (int)Math.Ceiling(ratio * buffer.Length));
                injected += own;
                total += buffer.Length;
            }
        }
        Assert.Equal(ratio, injected / (double)total, 2);
    }

    [Fact]
    public void RatioOutsideUnitInterval_IsRejected() =>
        Assert.Contains("must lie in [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(
            () => new FalseNegativeSampler(new UniformSampler(10), InteractionMatrix.FromPairs(1, 10, [0], [3], out _), 1.5)).Message);

    // The BSL code's r_noise: a user's train items weighted w against 1 for the others, so a negative is one of them
    // with probability w n_u / (w n_u + I - n_u); w = 1 is uniform over all items, w = 0 excludes them.
    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void WeightedOwnItems_AreDrawnWithTheWeightedProbability(double weight)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 20, Seed = 5 });
        var options = new SamplerOptions { FalseNegativeWeight = weight };
        INegativeSampler sampler = options.Create(data.Train, excludePositives: false, negatives: 50).Drawn;
        var rng = new Xoshiro256(17);
        var buffer = new int[50];
        double expected = 0, drawnOwn = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int u = 0; u < data.UserCount; u++)
            {
                sampler.Sample(ref rng, u, buffer);
                ReadOnlySpan<int> row = data.Train.Row(u);
                foreach (int i in buffer)
                {
                    drawnOwn += row.BinarySearch(i) >= 0 ? 1 : 0;
                }
                expected += buffer.Length * weight * row.Length / (weight * row.Length + data.ItemCount - row.Length);
            }
        }
        if (weight == 0)
        {
            Assert.Equal(0, drawnOwn);
        }
        else
        {
            Assert.InRange(drawnOwn / expected, 0.97, 1.03);    // some 30,000 (w 1) to 66,000 (w 3) own draws expected
        }
    }

    [Fact]
    public void WeightZero_DrawsWhatExcludingPositivesDraws()
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 50, Items = 80, MeanInteractions = 10, Seed = 6 });
        INegativeSampler weighted = new SamplerOptions { FalseNegativeWeight = 0 }.Create(data.Train, false, 20).Drawn;
        INegativeSampler excluding = new SamplerOptions().Create(data.Train, true, 20).Drawn;
        var (a, b) = (new Xoshiro256(3), new Xoshiro256(3));
        int[] x = new int[20], y = new int[20];
        for (int u = 0; u < data.UserCount; u++)
        {
            weighted.Sample(ref a, u, x);
            excluding.Sample(ref b, u, y);
            Assert.Equal(y, x);
        }
    }

    [Fact]
    public void WeightedOwnItems_NeedPlainUniformDraws() =>
        Assert.Contains("cannot be combined", Assert.Throws<ArgumentException>(() => new SamplerOptions { FalseNegativeWeight = 2, FalseNegativeRatio = 0.1 }
            .Create(InteractionMatrix.FromPairs(1, 10, [0], [3], out _), false, 4)).Message);
}
