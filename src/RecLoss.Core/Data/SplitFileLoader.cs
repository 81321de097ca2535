using System.Text;

namespace RecLoss.Core.Data;

/// <summary>Loads the LightGCN split format: a folder with train.txt and test.txt, one line per user, "user item item ...".</summary>
/// <remarks>
/// Fields are separated by spaces or tabs; LF, CRLF and CR line endings and a UTF-8 byte-order mark are accepted. Ids
/// are non-negative integers used as dense indices (user and item counts are the largest id + 1 over both files)
/// unless they are sparse, when they are renumbered (see <see cref="DenseIds"/>). Duplicate pairs, a pair in both
/// files, blank lines, an empty test file and users or items that occur only in test are legal and counted in the report.
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
        string trainPath = Path.Combine(folder, TrainFileName), testPath = Path.Combine(folder, TestFileName);
        var train = ReadFile(trainPath, report);
        var test = ReadFile(testPath, report);
        if (train.Count == 0)
        {
            throw new DataFormatException(trainPath, 0, "no interactions (the file is empty, or every line is blank or a user without items; expected lines 'user item item ...')");
        }
        if (test.Count == 0)
        {
            report.AddNote($"{TestFileName} has no interactions: there is nothing to evaluate on test");
        }
        IdMap users = DenseIds(report, "user", [(train.Users, train.Count), (test.Users, test.Count), (train.LineUsers, train.LineCount), (test.LineUsers, test.LineCount)],
            Math.Max(train.MaxUser, test.MaxUser));
        IdMap items = DenseIds(report, "item", [(train.Items, train.Count), (test.Items, test.Count)], Math.Max(train.MaxItem, test.MaxItem));
        int userCount = users.Count;
        int itemCount = items.Count;
        var trainMatrix = InteractionMatrix.FromPairs(userCount, itemCount, train.Users.AsSpan(0, train.Count), train.Items.AsSpan(0, train.Count), out int trainDuplicates);
        var testMatrix = InteractionMatrix.FromPairs(userCount, itemCount, test.Users.AsSpan(0, test.Count), test.Items.AsSpan(0, test.Count), out int testDuplicates);
        report.Add(trainDuplicates, "duplicate (user, item) pairs in train.txt, merged into one");
        report.Add(testDuplicates, "duplicate (user, item) pairs in test.txt, merged into one");
        AddSplitOddities(report, trainMatrix, testMatrix, "test");
        return new Dataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), trainMatrix, null, testMatrix,
            users, items, report);
    }

    /// <summary>
    /// Ids are dense indices when they nearly are (largest id + 1 at most twice the distinct count plus 1,024): the
    /// identity map. Otherwise an id far above the others would allocate a table row for every number below it, so
    /// the distinct ids are renumbered 0..n-1 in ascending order (the spans are rewritten in place) and the file's ids
    /// kept in the map for every output.
    /// </summary>
    private static IdMap DenseIds(DataReport report, string what, (int[] Ids, int Count)[] columns, int maxId)
    {
        var distinct = new HashSet<int>();
        foreach ((int[] ids, int count) in columns)
        {
            foreach (int id in ids.AsSpan(0, count))
            {
                distinct.Add(id);
            }
        }
        if ((long)maxId + 1 <= 2L * distinct.Count + 1024)
        {
            return IdMap.Identity(maxId + 1);
        }
        int[] sorted = distinct.Order().ToArray();
        var map = new IdMap();
        foreach (int id in sorted)
        {
            map.GetOrAdd(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach ((int[] ids, int count) in columns)
        {
            for (int i = 0; i < count; i++)
            {
                ids[i] = Array.BinarySearch(sorted, ids[i]);
            }
        }
        report.AddNote($"{what} ids are sparse (largest {maxId:N0}, {sorted.Length:N0} distinct): renumbered 0..{sorted.Length - 1:N0} in ascending order inside; every output uses the file's ids");
        return map;
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

        /// <summary>Every line's user, also of lines without items (such users still exist).</summary>
        public int[] LineUsers = new int[1 << 12];
        public int LineCount;

        public void AddUser(int user)
        {
            if (LineCount == LineUsers.Length)
            {
                Array.Resize(ref LineUsers, LineCount * 2);
            }
            LineUsers[LineCount++] = user;
            MaxUser = Math.Max(MaxUser, user);
        }

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
        int position = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;    // a UTF-8 byte-order mark
        if (bytes.Length == position)
        {
            return new PairBuffer();
        }
        DelimitedFileLoader.RefuseBinary(path, bytes);
        var pairs = new PairBuffer();
        int blankLines = 0;
        long lineNumber = 0;
        while (position < bytes.Length)
        {
            lineNumber++;
            // A line ends at LF, CRLF or a lone CR (old Mac files).
            int end = bytes.AsSpan(position).IndexOfAny((byte)'\n', (byte)'\r');
            end = end < 0 ? bytes.Length : position + end;
            ParseLine(path, lineNumber, bytes.AsSpan(position, end - position), pairs, ref blankLines);
            position = end < bytes.Length && bytes[end] == (byte)'\r' && end + 1 < bytes.Length && bytes[end + 1] == (byte)'\n' ? end + 2 : end + 1;
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
                pairs.AddUser(user);
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
            throw new DataFormatException(path, lineNumber, $"negative {what} '{DelimitedFileLoader.Printable(token)}' (expected a non-negative integer)");
        }
        foreach (byte b in token)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                throw new DataFormatException(path, lineNumber, $"{what} '{DelimitedFileLoader.Printable(token)}' is not an integer (expected a non-negative integer; for string ids use a CSV/TSV file with a header)");
            }
            value = value * 10 + (b - '0');
            if (value > int.MaxValue - 1)
            {
                throw new DataFormatException(path, lineNumber, $"{what} '{DelimitedFileLoader.Printable(token)}' is too large (at most {int.MaxValue - 1:N0}; for other ids use a CSV/TSV file with a header, which maps ids)");
            }
        }
        return (int)value;
    }
}
