using System.Globalization;
using System.Text;

namespace RecLoss.Core.Data;

/// <summary>How to read a delimited interactions file.</summary>
public sealed class DelimitedFileOptions
{
    /// <summary>Field separator; null picks tab when the header holds a tab, otherwise comma.</summary>
    public char? Delimiter { get; init; }

    /// <summary>Header name of the user column; "name" also matches a typed header "name:token".</summary>
    public string UserColumn { get; init; } = Defaults.UserColumn;

    public string ItemColumn { get; init; } = Defaults.ItemColumn;

    /// <summary>Optional rating column; rows below <see cref="RatingThreshold"/> are not positives.</summary>
    public string? RatingColumn { get; init; }

    /// <summary>Smallest rating that counts as a positive interaction. Used only with <see cref="RatingColumn"/>.</summary>
    public double RatingThreshold { get; init; } = Defaults.RatingThreshold;

    /// <summary>Optional timestamp column (a number), needed by the temporal split.</summary>
    public string? TimestampColumn { get; init; }

    public static class Defaults
    {
        public const string UserColumn = "user_id";
        public const string ItemColumn = "item_id";
        public const double RatingThreshold = 4.0;
    }
}

/// <summary>Positive interactions read from a delimited file, before splitting.</summary>
public sealed class InteractionLog
{
    public required string SourcePath { get; init; }
    public required IdMap Users { get; init; }
    public required IdMap Items { get; init; }
    public required int[] UserIndices { get; init; }
    public required int[] ItemIndices { get; init; }

    /// <summary>Timestamps, or null when the file had no timestamp column.</summary>
    public double[]? Timestamps { get; init; }

    public required DataReport Report { get; init; }

    public int Count => UserIndices.Length;
}

/// <summary>Loads a CSV or TSV interactions file with a header line; ids are strings mapped to dense indices.</summary>
public static class DelimitedFileLoader
{
    /// <exception cref="DataFormatException">The file is missing, empty, lacks a column or has a malformed row.</exception>
    public static InteractionLog Load(string path, DelimitedFileOptions options)
    {
        byte[] bytes = ReadAllBytes(path);
        string text = Encoding.UTF8.GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }
        using var reader = new StringReader(text);
        string? header = reader.ReadLine();
        if (header is null || header.Trim().Length == 0)
        {
            throw new DataFormatException(path, header is null ? 0 : 1, "the file is empty (expected a header line naming the columns)");
        }
        char delimiter = options.Delimiter ?? (header.Contains('\t') ? '\t' : ',');
        string[] names = SplitFields(header, delimiter, path, 1);
        int userColumn = FindColumn(names, options.UserColumn, path, "user");
        int itemColumn = FindColumn(names, options.ItemColumn, path, "item");
        int ratingColumn = options.RatingColumn is null ? -1 : FindColumn(names, options.RatingColumn, path, "rating");
        int timestampColumn = options.TimestampColumn is null ? -1 : FindColumn(names, options.TimestampColumn, path, "timestamp");

        var users = new IdMap();
        var items = new IdMap();
        var userIndices = new List<int>();
        var itemIndices = new List<int>();
        var timestamps = timestampColumn >= 0 ? new List<double>() : null;
        var seen = new HashSet<long>();
        long belowThreshold = 0, duplicates = 0, blankLines = 0;
        long lineNumber = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                blankLines++;
                continue;
            }
            string[] fields = SplitFields(line, delimiter, path, lineNumber);
            if (fields.Length != names.Length)
            {
                throw new DataFormatException(path, lineNumber, $"found {fields.Length} fields, expected {names.Length} as in the header");
            }
            string userId = fields[userColumn].Trim();
            string itemId = fields[itemColumn].Trim();
            if (userId.Length == 0 || itemId.Length == 0)
            {
                throw new DataFormatException(path, lineNumber, $"empty {(userId.Length == 0 ? names[userColumn] : names[itemColumn])} field (expected an id)");
            }
            if (ratingColumn >= 0)
            {
                double rating = ParseNumber(fields[ratingColumn], path, lineNumber, names[ratingColumn]);
                if (rating < options.RatingThreshold)
                {
                    belowThreshold++;
                    continue;
                }
            }
            double timestamp = timestampColumn >= 0 ? ParseNumber(fields[timestampColumn], path, lineNumber, names[timestampColumn]) : 0;
            int u = users.GetOrAdd(userId);
            int i = items.GetOrAdd(itemId);
            if (!seen.Add(((long)u << 32) | (uint)i))
            {
                duplicates++;
                continue;
            }
            userIndices.Add(u);
            itemIndices.Add(i);
            timestamps?.Add(timestamp);
        }
        if (userIndices.Count == 0)
        {
            throw new DataFormatException(path, 0, belowThreshold > 0
                ? $"no row has a rating of at least {options.RatingThreshold} ({belowThreshold} rows below it)"
                : "the file has a header but no data rows");
        }
        var report = new DataReport();
        report.Add(belowThreshold, $"rows with {names[Math.Max(ratingColumn, 0)]} below {options.RatingThreshold.ToString(CultureInfo.InvariantCulture)}, not positives");
        report.Add(duplicates, "duplicate (user, item) rows after the first, not counted again");
        report.Add(blankLines, "blank lines, skipped");
        return new InteractionLog
        {
            SourcePath = path,
            Users = users,
            Items = items,
            UserIndices = userIndices.ToArray(),
            ItemIndices = itemIndices.ToArray(),
            Timestamps = timestamps?.ToArray(),
            Report = report,
        };
    }

    /// <summary>Reads a file, turning I/O failures into a <see cref="DataFormatException"/> naming the path.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            string problem = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : $"cannot be read ({e.Message})";
            throw new DataFormatException(path, 0, problem);
        }
    }

    private static int FindColumn(string[] names, string wanted, string path, string role)
    {
        for (int c = 0; c < names.Length; c++)
        {
            string name = names[c].Trim();
            int colon = name.IndexOf(':');
            if (name == wanted || (colon > 0 && name[..colon] == wanted))
            {
                return c;
            }
        }
        throw new DataFormatException(path, 1, $"no {role} column '{wanted}' in the header (found: {string.Join(", ", names.Select(n => $"'{n.Trim()}'"))})");
    }

    private static double ParseNumber(string field, string path, long lineNumber, string column)
    {
        if (!double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new DataFormatException(path, lineNumber, $"{column} '{field}' is not a number");
        }
        return value;
    }

    /// <summary>Splits one line; a field may be wrapped in double quotes, with "" standing for a quote inside it.</summary>
    private static string[] SplitFields(string line, char delimiter, string path, long lineNumber)
    {
        if (!line.Contains('"'))
        {
            return line.Split(delimiter);
        }
        var fields = new List<string>();
        var current = new StringBuilder();
        int i = 0;
        while (true)
        {
            current.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new DataFormatException(path, lineNumber, "unterminated quoted field");
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    current.Append(line[i++]);
                }
                if (i < line.Length && line[i] != delimiter)
                {
                    throw new DataFormatException(path, lineNumber, $"unexpected '{line[i]}' after a quoted field (expected '{delimiter}')");
                }
            }
            else
            {
                while (i < line.Length && line[i] != delimiter)
                {
                    current.Append(line[i++]);
                }
            }
            fields.Add(current.ToString());
            if (i >= line.Length)
            {
                return fields.ToArray();
            }
            i++; // skip the delimiter
        }
    }
}
