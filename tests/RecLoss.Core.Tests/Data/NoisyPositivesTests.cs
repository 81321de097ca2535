using RecLoss.Core.Data;

namespace RecLoss.Core.Tests.Data;

public class NoisyPositivesTests
{
    private static Dataset Data() => SyntheticData.Generate(new SyntheticDataOptions { Users = 200, Items = 150, MeanInteractions = 12, Seed = 4 });

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(0.4)]
    public void Inject_AddsExactlyRoundRatioTimesEachUsersCount_OfItemsInNoSplit(double ratio)
    {
        Dataset data = Data();
        InjectedPositives noisy = NoisyPositives.Inject(data, ratio, seed: 9);
        long expected = 0;
        for (int u = 0; u < data.UserCount; u++)
        {
            int want = (int)Math.Round(ratio * data.Train.RowLength(u), MidpointRounding.AwayFromZero);
            expected += want;
            int[] added = noisy.Pairs.Where(p => p.User == u).Select(p => p.Item).ToArray();
            Assert.Equal(want, added.Length);
            Assert.Equal(added.Length, added.Distinct().Count());
            foreach (int i in added)
            {
                Assert.False(data.Train.Contains(u, i));
                Assert.False(data.Test!.Contains(u, i), $"user {u}: injected item {i} is a test item");
                Assert.True(noisy.Data.Train.Contains(u, i));
            }
        }
        Assert.Equal(expected, noisy.Pairs.Count);
        Assert.Equal(data.Train.Count + expected, noisy.Data.Train.Count);
        Assert.Same(data.Test, noisy.Data.Test);
        // Everything of the clean train is still there.
        for (int u = 0; u < data.UserCount; u++)
        {
            foreach (int i in data.Train.Row(u))
            {
                Assert.True(noisy.Data.Train.Contains(u, i));
            }
        }
    }

    [Fact]
    public void Inject_SameSeedSamePairs_OtherSeedOthers()
    {
        Dataset data = Data();
        Assert.Equal(NoisyPositives.Inject(data, 0.2, 1).Pairs, NoisyPositives.Inject(data, 0.2, 1).Pairs);
        Assert.NotEqual(NoisyPositives.Inject(data, 0.2, 1).Pairs, NoisyPositives.Inject(data, 0.2, 2).Pairs);
    }

    [Fact]
    public void Inject_UserWithoutEnoughFreeItems_IsAClearError()
    {
        // User "0" holds 3 of 4 items; ratio 1 asks for 3 more.
        var train = InteractionMatrix.FromPairs(1, 4, [0, 0, 0], [0, 1, 2], out _);
        var data = new Dataset("tiny", train, null, null, IdMap.Identity(1), IdMap.Identity(4), new DataReport());
        var e = Assert.Throws<ArgumentException>(() => NoisyPositives.Inject(data, 1.0, 1));
        Assert.Contains("User '0' needs 3 noisy positives", e.Message);
    }
}
