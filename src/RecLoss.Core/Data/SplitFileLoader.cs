using System.Text;

namespace RecLoss.Core.Data;

/// <summary>Loads the LightGCN split format: a folder with train.txt and test.txt, one line per user, "user item item ...".</summary>
/// <remarks>
/// Fields are separated by spaces or tabs; LF and CRLF line endings are accepted. Ids are non-negative integers used
/// as dense indices; user and item counts are the largest id + 1 over both files. Duplicate pairs, a pair in both
/// files, blank lines and users or items that occur only in test are legal and counted in the report.
/// </remarks>
public static class SplitFileLoader
{
    public const string TrainFileName = "train.txt";
    public const string TestFileName = "test.txt";

    /// <summary>True when <paramref name="path"/> is a folder holding train.txt.</summary>
    public static bool IsSplitFolder(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, TrainFileName));

    /// <exception cref="DataFormatException">A file is missing, unreadable, empty or malformed.</exception>
    public static Dataset Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DataFormatException(folder, 0, "no such folder (expected a folder with train.txt and test.txt)");
        }
        var report = new DataReport();
        var train = ReadFile(Path.Combine(folder, TrainFileName), report);
        var test = ReadFile(Path.Combine(folder, TestFileName), report);
        int userCount = Math.Max(train.MaxUser, test.MaxUser) + 1;
        int itemCount = Math.Max(train.MaxItem, test.MaxItem) + 1;
        var trainMatrix = InteractionMatrix.FromPairs(userCount, itemCount, train.Users.AsSpan(0, train.Count), train.Items.AsSpan(0, train.Count), out int trainDuplicates);
        var testMatrix = InteractionMatrix.FromPairs(userCount, itemCount, test.Users.AsSpan(0, test.Count), test.Items.AsSpan(0, test.Count), out int testDuplicates);
        report.Add(trainDuplicates, "duplicate (user, item) pairs in train.txt, merged into one");
        report.Add(testDuplicates, "duplicate (user, item) pairs in test.txt, merged into one");
        AddSplitOddities(report, trainMatrix, testMatrix, "test");
        return new Dataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), trainMatrix, null, testMatrix,
            IdMap.Identity(userCount), IdMap.Identity(itemCount), report);
    }

    /// <summary>Counts pairs in both splits and ids that occur only in the held-out split (they cannot be learned).</summary>
    internal static void AddSplitOddities(DataReport report, InteractionMatrix train, InteractionMatrix heldOut, string heldOutName)
    {
        report.Add(train.OverlapCount(heldOut), $"(user, item) pairs in both train and {heldOutName}");
        int heldOutOnlyUsers = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            if (train.RowLength(u) == 0 && heldOut.RowLength(u) > 0)
            {
                heldOutOnlyUsers++;
            }
        }
        int[] trainItemCounts = train.ItemCounts();
        int[] heldOutItemCounts = heldOut.ItemCounts();
        int heldOutOnlyItems = 0;
        for (int i = 0; i < trainItemCounts.Length; i++)
        {
            if (trainItemCounts[i] == 0 && heldOutItemCounts[i] > 0)
            {
                heldOutOnlyItems++;
            }
        }
        report.Add(heldOutOnlyUsers, $"users with {heldOutName} items but no train items (cannot be learned)");
        report.Add(heldOutOnlyItems, $"items that occur in {heldOutName} but not in train (cannot be learned)");
    }

    private sealed class PairBuffer
    {
        public int[] Users = new int[1 << 16];
        public int[] Items = new int[1 << 16];
        public int Count;
        public int MaxUser = -1;
        public int MaxItem = -1;

        public void Add(int user, int item)
        {
            if (Count == Users.Length)
            {
                Array.Resize(ref Users, Count * 2);
                Array.Resize(ref Items, Count * 2);
            }
            Users[Count] = user;
            Items[Count] = item;
            Count++;
            MaxItem = Math.Max(MaxItem, item);
        }
    }

    private static PairBuffer ReadFile(string path, DataReport report)
    {
        byte[] bytes = DelimitedFileLoader.ReadAllBytes(path);
        if (bytes.Length == 0)
        {
            throw new DataFormatException(path, 0, "the file is empty (expected lines 'user item item ...')");
        }
        var pairs = new PairBuffer();
        int blankLines = 0;
        long lineNumber = 0;
        int position = 0;
        while (position < bytes.Length)
        {
            lineNumber++;
            int end = Array.IndexOf(bytes, (byte)'\n', position);
            if (end < 0)
            {
                end = bytes.Length;
            }
            int lineEnd = end > position && bytes[end - 1] == (byte)'\r' ? end - 1 : end;
            ParseLine(path, lineNumber, bytes.AsSpan(position, lineEnd - position), pairs, ref blankLines);
            position = end + 1;
        }
        report.Add(blankLines, $"blank lines in {Path.GetFileName(path)}, skipped");
        return pairs;
    }

    private static void ParseLine(string path, long lineNumber, ReadOnlySpan<byte> line, PairBuffer pairs, ref int blankLines)
    {
        int user = -1;
        int field = 0;
        int i = 0;
        while (true)
        {
            while (i < line.Length && (line[i] == (byte)' ' || line[i] == (byte)'\t'))
            {
                i++;
            }
            if (i >= line.Length)
            {
                break;
            }
            int start = i;
            while (i < line.Length && line[i] != (byte)' ' && line[i] != (byte)'\t')
            {
                i++;
            }
            int value = ParseId(path, lineNumber, line[start..i], field == 0 ? "user id" : "item id");
            if (field == 0)
            {
                user = value;
                pairs.MaxUser = Math.Max(pairs.MaxUser, user);
            }
            else
            {
                pairs.Add(user, value);
            }
            field++;
        }
        if (field == 0)
        {
            blankLines++;
        }
    }

    private static int ParseId(string path, long lineNumber, ReadOnlySpan<byte> token, string what)
    {
        long value = 0;
        if (token[0] == (byte)'-')
        {
            throw new DataFormatException(path, lineNumber, $"negative {what} '{Encoding.UTF8.GetString(token)}' (expected a non-negative integer)");
        }
        foreach (byte b in token)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                throw new DataFormatException(path, lineNumber, $"{what} '{Encoding.UTF8.GetString(token)}' is not an integer (expected a non-negative integer)");
            }
            value = value * 10 + (b - '0');
            if (value > int.MaxValue - 1)
            {
                throw new DataFormatException(path, lineNumber, $"{what} '{Encoding.UTF8.GetString(token)}' is too large (at most {int.MaxValue - 1})");
            }
        }
        return (int)value;
    }
}
