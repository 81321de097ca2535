using System.Globalization;
using RecLoss.Numerics;

namespace RecLoss.Core.Data;

/// <summary>The result of <see cref="NoisyPositives.Inject"/>: the noisy dataset and what was added.</summary>
/// <param name="Pairs">The injected (user index, item index) pairs, by user then item.</param>
public sealed record InjectedPositives(Dataset Data, IReadOnlyList<(int User, int Item)> Pairs, double Ratio);

/// <summary>Positive noise for the BSL paper's robustness experiments (Sec. V-D): fake positives added to train.</summary>
/// <remarks>
/// "In accordance with the interaction frequency per user": user u with n_u train items receives
/// <c>round(ratio n_u)</c> (half away from zero) items drawn uniformly without replacement from the items it has in
/// no split (train, validation or test), so the noise never leaks a held-out truth and the test set is unchanged.
/// A user without enough such items is an error.
/// </remarks>
public static class NoisyPositives
{
    /// <summary>Items a user receives for <paramref name="ratio"/> and <paramref name="trainItems"/> train items.</summary>
    public static int CountFor(double ratio, int trainItems) => (int)Math.Round(ratio * trainItems, MidpointRounding.AwayFromZero);

    public static InjectedPositives Inject(Dataset data, double ratio, ulong seed)
    {
        ArgumentRange.Check(ratio, 0, 10, "The noisy-positive ratio", parameter: nameof(ratio));
        InteractionMatrix train = data.Train;
        var users = new List<int>();
        var items = new List<int>();
        var pairs = new List<(int, int)>();
        var chosen = new HashSet<int>();
        for (int u = 0; u < data.UserCount; u++)
        {
            ReadOnlySpan<int> row = train.Row(u);
            foreach (int i in row)
            {
                users.Add(u);
                items.Add(i);
            }
            int want = CountFor(ratio, row.Length);
            if (want == 0)
            {
                continue;
            }
            int held = row.Length + (data.Validation?.RowLength(u) ?? 0) + (data.Test?.RowLength(u) ?? 0);
            if (data.ItemCount - held < want)
            {
                throw new ArgumentException($"User '{data.Users.GetId(u)}' needs {want} noisy positives but interacted with {held} of the {data.ItemCount} items; lower the noisy-positive ratio.");
            }
            // One stream per user: the noise does not depend on the order users are visited in.
            var rng = Xoshiro256.ForStream(seed, 0x401575, (ulong)u);
            chosen.Clear();
            while (chosen.Count < want)
            {
                int item = rng.NextInt(data.ItemCount);
                if (!train.Contains(u, item) && data.Validation?.Contains(u, item) != true && data.Test?.Contains(u, item) != true)
                {
                    chosen.Add(item);
                }
            }
            foreach (int item in chosen.Order())
            {
                users.Add(u);
                items.Add(item);
                pairs.Add((u, item));
            }
        }
        InteractionMatrix noisy = InteractionMatrix.FromPairs(data.UserCount, data.ItemCount, users.ToArray(), items.ToArray(), out int duplicates);
        if (duplicates != 0 || noisy.Count != train.Count + pairs.Count)
        {
            throw new InvalidOperationException($"Noise injection produced {duplicates} duplicate pairs; this is a bug.");
        }
        var report = new DataReport();
        foreach (string note in data.Report.Notes)
        {
            report.AddNote(note);
        }
        report.AddNote(string.Create(CultureInfo.InvariantCulture, $"{pairs.Count:N0} noisy positives injected into train (ratio {ratio} of each user's train items); the test set is unchanged"));
        var result = new Dataset(data.Name, noisy, data.Validation, data.Test, data.Users, data.Items, report);
        return new InjectedPositives(result, pairs, ratio);
    }
}
