using System.Globalization;
using System.Text;
using nietras.SeparatedValues;

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

/// <summary>
/// Loads a CSV or TSV interactions file with a header line; ids are strings mapped to dense indices. Parsing (quotes,
/// quoted line breaks, "" inside quotes) is Sep's; this class checks the bytes first (UTF-8, no NUL) and reports every
/// problem by file and line.
/// </summary>
public static class DelimitedFileLoader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="DataFormatException">The file is missing, empty, binary, not UTF-8, lacks a column or has a malformed row.</exception>
    public static InteractionLog Load(string path, DelimitedFileOptions options)
    {
        string text = ReadText(path);
        int headerEnd = text.AsSpan().IndexOfAny('\n', '\r');
        string header = headerEnd < 0 ? text : text[..headerEnd];
        if (header.Trim().Length == 0)
        {
            throw new DataFormatException(path, text.Length == 0 ? 0 : 1, "the file is empty or its first line is blank (expected a header line naming the columns)");
        }
        char delimiter = options.Delimiter ?? (header.Contains('\t') ? '\t' : ',');
        if (header.Contains('"'))
        {
            CheckQuotes(header, delimiter, path, 1);
        }
        SepReader reader;
        try
        {
            reader = new Sep(delimiter).Reader(o => o with { HasHeader = true, Unescape = true, DisableColCountCheck = true }).FromText(text);
        }
        catch (ArgumentException e)
        {
            // Sep refuses a header with a repeated (or twice empty) column name.
            throw new DataFormatException(path, 1, $"the header cannot be read: {e.Message.Split(" (Parameter")[0].TrimEnd('.')} (expected distinct, non-empty column names)");
        }
        using var owned = reader;
        string[] names = reader.Header.ColNames.ToArray();
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
        foreach (SepReader.Row row in reader)
        {
            long line = row.LineNumberFrom;
            if (row.Span.Contains('"'))
            {
                CheckQuotes(row.Span, delimiter, path, line);
            }
            if (row.ColCount == 1 && row[0].Span.Trim().Length == 0)
            {
                blankLines++;
                continue;
            }
            if (row.ColCount != names.Length)
            {
                throw new DataFormatException(path, line, $"found {row.ColCount} fields, expected {names.Length} as in the header ('{delimiter switch { '\t' => "tab", _ => delimiter.ToString() }}'-separated)");
            }
            ReadOnlySpan<char> userId = row[userColumn].Span.Trim();
            ReadOnlySpan<char> itemId = row[itemColumn].Span.Trim();
            if (userId.IsEmpty || itemId.IsEmpty)
            {
                throw new DataFormatException(path, line, $"empty {(userId.IsEmpty ? names[userColumn] : names[itemColumn])} field (expected an id)");
            }
            if (ratingColumn >= 0)
            {
                double rating = ParseNumber(row[ratingColumn].Span, path, line, names[ratingColumn]);
                if (rating < options.RatingThreshold)
                {
                    belowThreshold++;
                    continue;
                }
            }
            double timestamp = timestampColumn >= 0 ? ParseNumber(row[timestampColumn].Span, path, line, names[timestampColumn]) : 0;
            int u = users.GetOrAdd(userId.ToString());
            int i = items.GetOrAdd(itemId.ToString());
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

    /// <summary>
    /// Refuses a row whose quotes Sep would read differently from what the file means: a quote may open a field (at its
    /// start), stand doubled inside a quoted field, or close it (before a delimiter or the row's end). A stray quote
    /// inside an unquoted field (12" vinyl) would make Sep swallow the following lines into one field.
    /// </summary>
    private static void CheckQuotes(ReadOnlySpan<char> row, char delimiter, string path, long line)
    {
        bool fieldStart = true, quoted = false;
        for (int i = 0; i < row.Length; i++)
        {
            char c = row[i];
            if (quoted)
            {
                if (c != '"')
                {
                    continue;
                }
                if (i + 1 < row.Length && row[i + 1] == '"')
                {
                    i++;
                    continue;
                }
                quoted = false;
                if (i + 1 < row.Length && row[i + 1] != delimiter && row[i + 1] is not ('\r' or '\n'))
                {
                    throw new DataFormatException(path, line + CountLines(row[..i]), $"unexpected '{row[i + 1]}' after a closing quote (expected '{delimiter}' or the end of the row)");
                }
                continue;
            }
            if (c == '"')
            {
                if (!fieldStart)
                {
                    throw new DataFormatException(path, line + CountLines(row[..i]), "a '\"' inside an unquoted field (expected the whole field in quotes, with the quote doubled: \"12\"\" vinyl\")");
                }
                quoted = true;
            }
            fieldStart = c == delimiter || c is '\r' or '\n';
        }
        if (quoted)
        {
            throw new DataFormatException(path, line, "a quoted field is never closed (expected a closing '\"'; a '\"' inside a quoted field is written '\"\"')");
        }
    }

    private static int CountLines(ReadOnlySpan<char> text) => text.Count('\n');

    /// <summary>The file as text: a byte-order mark dropped, a NUL byte or invalid UTF-8 refused with its line.</summary>
    private static string ReadText(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        RefuseBinary(path, bytes);
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            int offset = start + Math.Max(e.Index, 0);
            throw new DataFormatException(path, LineOf(bytes, offset),
                $"byte 0x{bytes[Math.Min(offset, bytes.Length - 1)]:X2} at offset {offset:N0} is not valid UTF-8 (expected UTF-8 text; convert the file, e.g. with iconv)");
        }
    }

    /// <summary>Refuses a file with a NUL byte: a binary file, or text in UTF-16, which neither loader reads.</summary>
    internal static void RefuseBinary(string path, byte[] bytes)
    {
        int nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0)
        {
            throw new DataFormatException(path, LineOf(bytes, nul), $"a NUL byte at offset {nul:N0}: this looks like a binary or UTF-16 file (expected UTF-8 text)");
        }
    }

    /// <summary>A token as quoted in a message: at most 40 characters, control and invalid bytes as \xNN.</summary>
    internal static string Printable(ReadOnlySpan<byte> token)
    {
        var text = new StringBuilder();
        foreach (byte b in token[..Math.Min(token.Length, 40)])
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }
        return token.Length > 40 ? text.Append($"... ({token.Length:N0} bytes)").ToString() : text.ToString();
    }

    private static long LineOf(byte[] bytes, int offset)
    {
        ReadOnlySpan<byte> before = bytes.AsSpan(0, Math.Min(offset, bytes.Length));
        int lf = before.Count((byte)'\n');
        return 1 + (lf > 0 ? lf : before.Count((byte)'\r'));
    }

    /// <summary>Reads a file, turning I/O failures into a <see cref="DataFormatException"/> naming the path.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or OutOfMemoryException)
        {
            string problem = e switch
            {
                _ when Directory.Exists(path) => "is a folder (expected a file)",
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                OutOfMemoryException or IOException when new FileInfo(path).Length > int.MaxValue => "the file is larger than 2 GiB, the most one file may hold here",
                _ => $"cannot be read ({e.Message.TrimEnd('.')})",
            };
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
        string found = string.Join(", ", names.Take(12).Select(n => $"'{Shorten(n.Trim())}'")) + (names.Length > 12 ? $", ... ({names.Length} columns)" : "");
        throw new DataFormatException(path, 1, $"no {role} column '{wanted}' in the header (found: {found})");
    }

    private static double ParseNumber(ReadOnlySpan<char> field, string path, long lineNumber, string column)
    {
        if (!double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new DataFormatException(path, lineNumber, $"{column} '{Shorten(field.ToString())}' is not a number");
        }
        return value;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + $"... ({text.Length:N0} characters)";
}
