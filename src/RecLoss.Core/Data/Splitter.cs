using RecLoss.Numerics;

namespace RecLoss.Core.Data;

/// <summary>How a file without predefined splits is divided per user.</summary>
public enum SplitKind
{
    /// <summary>Each user's interactions are shuffled (seeded) and the first share goes to train.</summary>
    Random,

    /// <summary>Each user's interactions are ordered by timestamp (file order breaks ties); the earliest share goes to train.</summary>
    Temporal,
}

/// <summary>Per-user splits: train/test for a raw interaction log, and a validation split carved out of train.</summary>
public static class Splitter
{
    /// <summary>Splits every user's interactions into train (a share of <paramref name="trainRatio"/>) and test.</summary>
    /// <remarks>A user keeps at least one train item; a user with a single interaction has no test item (counted).</remarks>
    public static Dataset Split(InteractionLog log, SplitKind kind, double trainRatio, ulong seed)
    {
        ArgumentRange.Check(trainRatio, 0, 1, "The train ratio", minExclusive: true, maxExclusive: true, parameter: nameof(trainRatio));
        if (kind == SplitKind.Temporal && log.Timestamps is null)
        {
            throw new ArgumentException("A temporal split needs a timestamp column.", nameof(kind));
        }
        int userCount = log.Users.Count, itemCount = log.Items.Count;
        // Group interaction positions by user, in file order.
        int[] byUser = GroupByUser(log.UserIndices, userCount, out int[] start);
        var trainUsers = new List<int>(log.Count);
        var trainItems = new List<int>(log.Count);
        var testUsers = new List<int>(log.Count);
        var testItems = new List<int>(log.Count);
        int usersWithoutTest = 0;
        for (int u = 0; u < userCount; u++)
        {
            Span<int> positions = byUser.AsSpan(start[u], start[u + 1] - start[u]);
            if (kind == SplitKind.Random)
            {
                var rng = Xoshiro256.ForStream(seed, 0x5B117, (ulong)u);
                rng.Shuffle(positions);
            }
            else
            {
                double[] ts = log.Timestamps!;
                positions.Sort((a, b) => ts[a] != ts[b] ? ts[a].CompareTo(ts[b]) : a.CompareTo(b));
            }
            int trainCount = TrainCount(positions.Length, trainRatio);
            if (trainCount == positions.Length)
            {
                usersWithoutTest++;
            }
            for (int k = 0; k < positions.Length; k++)
            {
                bool toTrain = k < trainCount;
                (toTrain ? trainUsers : testUsers).Add(u);
                (toTrain ? trainItems : testItems).Add(log.ItemIndices[positions[k]]);
            }
        }
        var report = new DataReport();
        var train = InteractionMatrix.FromPairs(userCount, itemCount, trainUsers.ToArray(), trainItems.ToArray(), out _);
        var test = InteractionMatrix.FromPairs(userCount, itemCount, testUsers.ToArray(), testItems.ToArray(), out _);
        report.Add(usersWithoutTest, "users with too few interactions to hold one out: all in train, no test items");
        SplitFileLoader.AddSplitOddities(report, train, test, "test");
        return new Dataset(Path.GetFileNameWithoutExtension(log.SourcePath), train, null, test, log.Users, log.Items, MergeReports(log.Report, report));
    }

    /// <summary>Moves a random share <paramref name="validationRatio"/> of each user's train items to a validation split.</summary>
    public static Dataset CarveValidation(Dataset dataset, double validationRatio, ulong seed)
    {
        ArgumentRange.Check(validationRatio, 0, 1, "The validation ratio", minExclusive: true, maxExclusive: true, parameter: nameof(validationRatio));
        InteractionMatrix source = dataset.Train;
        var trainUsers = new List<int>(source.Count);
        var trainItems = new List<int>(source.Count);
        var validUsers = new List<int>();
        var validItems = new List<int>();
        int usersWithoutValidation = 0;
        int[] scratch = new int[source.UserCount == 0 ? 0 : MaxRowLength(source)];
        for (int u = 0; u < source.UserCount; u++)
        {
            ReadOnlySpan<int> row = source.Row(u);
            Span<int> items = scratch.AsSpan(0, row.Length);
            row.CopyTo(items);
            var rng = Xoshiro256.ForStream(seed, 0x7A11D, (ulong)u);
            rng.Shuffle(items);
            int trainCount = TrainCount(items.Length, 1 - validationRatio);
            if (trainCount == items.Length && items.Length > 0)
            {
                usersWithoutValidation++;
            }
            for (int k = 0; k < items.Length; k++)
            {
                bool toTrain = k < trainCount;
                (toTrain ? trainUsers : validUsers).Add(u);
                (toTrain ? trainItems : validItems).Add(items[k]);
            }
        }
        var train = InteractionMatrix.FromPairs(source.UserCount, source.ItemCount, trainUsers.ToArray(), trainItems.ToArray(), out _);
        var validation = InteractionMatrix.FromPairs(source.UserCount, source.ItemCount, validUsers.ToArray(), validItems.ToArray(), out _);
        dataset.Report.Add(usersWithoutValidation, "users with too few train items to hold one out for validation");
        return dataset.WithValidation(train, validation);
    }

    /// <summary>round(n * ratio), at least 1 when n > 0 and at most n.</summary>
    internal static int TrainCount(int n, double ratio) => n == 0 ? 0 : Math.Clamp((int)Math.Round(n * ratio, MidpointRounding.AwayFromZero), 1, n);

    private static int MaxRowLength(InteractionMatrix m)
    {
        int max = 0;
        for (int u = 0; u < m.UserCount; u++)
        {
            max = Math.Max(max, m.RowLength(u));
        }
        return max;
    }

    private static int[] GroupByUser(int[] users, int userCount, out int[] start)
    {
        start = new int[userCount + 1];
        foreach (int u in users)
        {
            start[u + 1]++;
        }
        for (int u = 0; u < userCount; u++)
        {
            start[u + 1] += start[u];
        }
        var fill = start[..^1].ToArray();
        var grouped = new int[users.Length];
        for (int p = 0; p < users.Length; p++)
        {
            grouped[fill[users[p]]++] = p;
        }
        return grouped;
    }

    private static DataReport MergeReports(DataReport first, DataReport second)
    {
        var merged = new DataReport();
        foreach (string note in first.Notes.Concat(second.Notes))
        {
            merged.AddNote(note);
        }
        return merged;
    }
}
