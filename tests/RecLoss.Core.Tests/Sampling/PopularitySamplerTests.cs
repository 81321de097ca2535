using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class PopularitySamplerTests
{
    // 5 users over 6 items; item counts 4, 3, 2, 1, 0, 2.
    private static InteractionMatrix Train() => FromRows(6,
    [
        [0, 1, 2],
        [0, 1, 5],
        [0, 2],
        [0, 1, 3, 5],
        [0],
    ]);

    private static InteractionMatrix FromRows(int items, int[][] rows)
    {
        int[] users = rows.SelectMany((row, u) => row.Select(_ => u)).ToArray();
        int[] columns = rows.SelectMany(row => row).ToArray();
        return InteractionMatrix.FromPairs(rows.Length, items, users, columns, out _);
    }

    private static readonly long[] s_counts = [5, 3, 2, 1, 0, 2];

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public void Probabilities_AreCountToTheAlpha_Normalised(double alpha)
    {
        var sampler = new PopularitySampler(Train(), alpha);
        double[] weights = s_counts.Select(c => alpha == 0 ? 1 : c == 0 ? 0 : Math.Pow(c, alpha)).ToArray();
        for (int i = 0; i < weights.Length; i++)
        {
            Assert.Equal(weights[i] / weights.Sum(), sampler.Probabilities[i], 12);
        }
    }

    [Fact]
    public void AliasTable_ImpliesExactlyTheProbabilities()
    {
        var rng = new Xoshiro256(4);
        double[] p = Enumerable.Range(0, 257).Select(_ => rng.NextDouble() < 0.2 ? 0 : Math.Pow(rng.NextDouble(), 3)).ToArray();
        double total = p.Sum();
        p = p.Select(x => x / total).ToArray();
        (uint[] threshold, int[] alias) = PopularitySampler.BuildAlias(p);
        double[] implied = new double[p.Length];
        for (int c = 0; c < p.Length; c++)
        {
            double keep = threshold[c] == uint.MaxValue ? 1 : threshold[c] / 4294967296.0;
            implied[c] += keep / p.Length;
            implied[alias[c]] += (1 - keep) / p.Length;
        }
        for (int i = 0; i < p.Length; i++)
        {
            Assert.True(Math.Abs(implied[i] - p[i]) < 1e-9, $"item {i}: {implied[i]} vs {p[i]}");
        }
    }

    [Fact]
    public void Draws_PassChiSquareAgainstPopularity()
    {
        var sampler = new PopularitySampler(Train(), 1.0);
        long[] counts = SamplerTestData.DrawCounts(sampler, 0, 6, seed: 21, rows: 100, perRow: 1000);
        Assert.Equal(0, counts[4]);   // an item never seen in train has weight 0
        double chi = SamplerTestData.ChiSquare(counts, sampler.Probabilities.ToArray());
        // 4 degrees of freedom: 18.47 is the 0.999 quantile.
        Assert.True(chi < 18.47, $"chi-square {chi}: [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void ExcludingPositives_NeverReturnsAPositive()
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 200, Items = 150, MeanInteractions = 30, Seed = 8 });
        var sampler = new PopularitySampler(data.Train, 0.75, excludePositives: true);
        var rng = new Xoshiro256(3);
        var buffer = new int[64];
        for (int u = 0; u < data.UserCount; u++)
        {
            sampler.Sample(ref rng, u, buffer);
            ReadOnlySpan<int> row = data.Train.Row(u);
            foreach (int i in buffer)
            {
                Assert.True(row.BinarySearch(i) < 0, $"user {u} drew its own item {i}");
            }
        }
    }

    [Fact]
    public void BadAlphaOrNoMassLeft_AreRejected()
    {
        Assert.Contains("alpha must lie in [0, 10]", Assert.Throws<ArgumentOutOfRangeException>(() => new PopularitySampler(Train(), -1)).Message);
        // Item 2 is never seen (weight 0), so user 0, who holds items 0 and 1, has no mass left to draw from.
        var full = FromRows(3, [[0, 1], [0]]);
        Assert.Contains("holds all the sampling mass", Assert.Throws<NoNegativeException>(() => new PopularitySampler(full, 1, excludePositives: true)).Message);
    }
}
