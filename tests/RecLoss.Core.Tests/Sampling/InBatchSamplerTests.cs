using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class InBatchSamplerTests
{
    [Fact]
    public void Draws_AreBatchPositivesOutsideTheUsersItems_OnRandomData()
    {
        for (ulong seed = 1; seed <= 30; seed++)
        {
            InteractionMatrix train = SamplerTestData.RandomTrain(seed, users: 30, items: 50, maxRow: 20);
            var rng = new Xoshiro256(seed);
            // A batch of rows (user, positive) drawn from train.
            var rows = Enumerable.Range(0, 40).Select(_ => rng.NextInt(30)).Where(u => train.RowLength(u) > 0)
                .Select(u => (User: u, Item: train.Row(u)[rng.NextInt(train.RowLength(u))])).ToArray();
            int[] positives = rows.Select(r => r.Item).ToArray();
            var sampler = new InBatchSampler(train);
            sampler.BeginBatch(positives);
            int[] draws = new int[32];
            foreach ((int user, _) in rows)
            {
                if (positives.All(i => train.Contains(user, i)))
                {
                    Assert.Throws<NoNegativeException>(() => sampler.Sample(ref rng, user, draws));
                    continue;
                }
                sampler.Sample(ref rng, user, draws);
                foreach (int i in draws)
                {
                    Assert.False(train.Contains(user, i), $"seed {seed}: user {user} drew its own item {i}");
                    Assert.Contains(i, positives);
                }
            }
        }
    }

    [Fact]
    public void Draws_FollowTheBatchFrequencyOfUsableItems()
    {
        // User 0 holds item 1. Batch positives: 1 (masked), 2 x3, 3 x1, 4 x2 -> usable rows 6: P = 3/6, 1/6, 2/6.
        var train = InteractionMatrix.FromPairs(2, 5, [0, 1, 1, 1], [1, 2, 3, 4], out _);
        var sampler = new InBatchSampler(train);
        sampler.BeginBatch([1, 2, 2, 4, 3, 2, 4]);
        long[] counts = SamplerTestData.DrawCounts(sampler, 0, 5, seed: 21);
        double chi = SamplerTestData.ChiSquare(counts, [0, 0, 3 / 6.0, 1 / 6.0, 2 / 6.0]);
        Assert.True(chi < 13.82, $"chi-square {chi:F1} with 2 degrees of freedom: [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void BatchOfOnlyTheUsersItems_IsAClearError()
    {
        var train = InteractionMatrix.FromPairs(1, 4, [0, 0], [1, 2], out _);
        var sampler = new InBatchSampler(train);
        sampler.BeginBatch([1, 2, 2]);
        var rng = new Xoshiro256(1);
        var e = Assert.Throws<NoNegativeException>(() => sampler.Sample(ref rng, 0, new int[3]));
        Assert.Contains("--batch-size", e.Message);
    }
}
