namespace RecLoss.Core.Data;

/// <summary>Per-split counts, as in Table 1 of the MML paper and the data README.</summary>
public sealed record SplitStatistics(string Name, long Interactions, int UsersWithItems, int DistinctItems, int MinPerUser, double MeanPerUser, int MaxPerUser)
{
    public static SplitStatistics Of(string name, InteractionMatrix m)
    {
        int min = int.MaxValue, max = 0, usersWithItems = 0;
        for (int u = 0; u < m.UserCount; u++)
        {
            int n = m.RowLength(u);
            min = Math.Min(min, n);
            max = Math.Max(max, n);
            if (n > 0)
            {
                usersWithItems++;
            }
        }
        int distinctItems = m.ItemCounts().Count(c => c > 0);
        return new SplitStatistics(name, m.Count, usersWithItems, distinctItems, m.UserCount == 0 ? 0 : min,
            m.UserCount == 0 ? 0 : (double)m.Count / m.UserCount, max);
    }
}

/// <summary>Whole-dataset statistics: users, items, interactions, density and the per-split rows.</summary>
public sealed record DatasetStatistics(string Name, int Users, int Items, long Interactions, double Density, IReadOnlyList<SplitStatistics> Splits)
{
    public static DatasetStatistics Of(Dataset dataset)
    {
        var splits = new List<SplitStatistics> { SplitStatistics.Of("train", dataset.Train) };
        if (dataset.Validation is not null)
        {
            splits.Add(SplitStatistics.Of("validation", dataset.Validation));
        }
        if (dataset.Test is not null)
        {
            splits.Add(SplitStatistics.Of("test", dataset.Test));
        }
        long total = splits.Sum(s => s.Interactions);
        double density = dataset.UserCount == 0 || dataset.ItemCount == 0 ? 0 : total / ((double)dataset.UserCount * dataset.ItemCount);
        return new DatasetStatistics(dataset.Name, dataset.UserCount, dataset.ItemCount, total, density, splits);
    }
}
