using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

/// <summary>Random train matrices for the samplers' property tests.</summary>
internal static class SamplerTestData
{
    /// <summary>users x items with each user holding 0..maxRow distinct random items.</summary>
    public static InteractionMatrix RandomTrain(ulong seed, int users, int items, int maxRow)
    {
        var rng = new Xoshiro256(seed);
        var us = new List<int>();
        var its = new List<int>();
        for (int u = 0; u < users; u++)
        {
            int n = rng.NextInt(maxRow + 1);
            foreach (int i in Enumerable.Range(0, n).Select(_ => rng.NextInt(items)).Distinct())
            {
                us.Add(u);
                its.Add(i);
            }
        }
        return InteractionMatrix.FromPairs(users, items, us.ToArray(), its.ToArray(), out _);
    }

    /// <summary>How often each item came up in <paramref name="rows"/> rows of <paramref name="perRow"/> draws for one user.</summary>
    public static long[] DrawCounts(INegativeSampler sampler, int userIndex, int itemCount, ulong seed, int rows = 2000, int perRow = 100)
    {
        var rng = new Xoshiro256(seed);
        long[] counts = new long[itemCount];
        int[] draws = new int[perRow];
        for (int r = 0; r < rows; r++)
        {
            sampler.Sample(ref rng, userIndex, draws);
            foreach (int i in draws)
            {
                counts[i]++;
            }
        }
        return counts;
    }

    /// <summary>Pearson's statistic of observed counts against expected probabilities (cells with p = 0 must be empty).</summary>
    public static double ChiSquare(long[] counts, double[] probabilities)
    {
        long total = counts.Sum();
        double chi = 0;
        for (int k = 0; k < counts.Length; k++)
        {
            if (probabilities[k] == 0)
            {
                Assert.Equal(0, counts[k]);
                continue;
            }
            double expected = total * probabilities[k];
            chi += (counts[k] - expected) * (counts[k] - expected) / expected;
        }
        return chi;
    }
}
