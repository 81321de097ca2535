using RecLoss.Numerics;

namespace RecLoss.Core.Data;

/// <summary>Shape of the generated demo data set.</summary>
public sealed class SyntheticDataOptions
{
    public int Users { get; init; } = Defaults.Users;
    public int Items { get; init; } = Defaults.Items;

    /// <summary>Rank of the hidden user and item factors that drive preferences.</summary>
    public int Rank { get; init; } = Defaults.Rank;

    /// <summary>Mean interactions per user (log-normally spread, at least 5).</summary>
    public double MeanInteractions { get; init; } = Defaults.MeanInteractions;

    /// <summary>Zipf exponent of item popularity: logit bonus <c>-s * ln(rank + 1)</c>.</summary>
    public double PopularityExponent { get; init; } = Defaults.PopularityExponent;

    /// <summary>Strength of the latent preference term against popularity.</summary>
    public double Affinity { get; init; } = Defaults.Affinity;

    public double TrainRatio { get; init; } = Defaults.TrainRatio;

    public ulong Seed { get; init; } = Defaults.Seed;

    public static class Defaults
    {
        public const int Users = 3000;
        public const int Items = 1500;
        public const int Rank = 8;
        public const double MeanInteractions = 30;
        public const double PopularityExponent = 0.8;
        public const double Affinity = 2.5;
        public const double TrainRatio = 0.8;
        public const ulong Seed = 2019;
    }
}

/// <summary>A seeded implicit-feedback data set with latent structure and long-tailed item popularity.</summary>
/// <remarks>
/// User u picks n_u items without replacement with probability proportional to
/// <c>exp(a * p_u . q_i / sqrt(r) + b_i)</c>, p and q standard normal of rank r and b_i Zipf-like, by the Gumbel
/// top-k trick. A personalised model can recover p . q; a popularity model only b, so the demo shows the gap.
/// </remarks>
public static class SyntheticData
{
    public static Dataset Generate(SyntheticDataOptions options)
    {
        int users = options.Users, items = options.Items, rank = options.Rank;
        var rng = new Xoshiro256(options.Seed);
        var p = new double[users * rank];
        var q = new double[items * rank];
        for (int k = 0; k < p.Length; k++) { p[k] = rng.NextGaussian(); }
        for (int k = 0; k < q.Length; k++) { q[k] = rng.NextGaussian(); }
        var popularityRank = new int[items];
        for (int i = 0; i < items; i++) { popularityRank[i] = i; }
        rng.Shuffle(popularityRank.AsSpan());
        var bias = new double[items];
        for (int i = 0; i < items; i++) { bias[i] = -options.PopularityExponent * Math.Log(popularityRank[i] + 1); }

        var userList = new List<int>();
        var itemList = new List<int>();
        var keys = new double[items];
        var order = new int[items];
        double scale = options.Affinity / Math.Sqrt(rank);
        double sigma = 0.6, mu = Math.Log(options.MeanInteractions) - sigma * sigma / 2;
        for (int u = 0; u < users; u++)
        {
            var userRng = Xoshiro256.ForStream(options.Seed, 0x5E7, (ulong)u);
            int n = Math.Clamp((int)Math.Round(Math.Exp(mu + sigma * userRng.NextGaussian())), 5, items / 2);
            for (int i = 0; i < items; i++)
            {
                double dot = 0;
                for (int r = 0; r < rank; r++) { dot += p[u * rank + r] * q[i * rank + r]; }
                double gumbel = -Math.Log(-Math.Log(1.0 - userRng.NextDouble() * (1 - 1e-12)));
                keys[i] = -(scale * dot + bias[i] + gumbel); // ascending sort = descending key
                order[i] = i;
            }
            Array.Sort(keys, order);
            for (int k = 0; k < n; k++)
            {
                userList.Add(u);
                itemList.Add(order[k]);
            }
        }
        var log = new InteractionLog
        {
            SourcePath = "synthetic",
            Users = IdMap.Identity(users),
            Items = IdMap.Identity(items),
            UserIndices = userList.ToArray(),
            ItemIndices = itemList.ToArray(),
            Report = new DataReport(),
        };
        return Splitter.Split(log, SplitKind.Random, options.TrainRatio, options.Seed);
    }
}
