using RecLoss.Core.Data;
using RecLoss.Core.Sampling;

namespace RecLoss.Cli;

/// <summary>Where the data comes from and how it is split, read and checked before anything is loaded.</summary>
/// <param name="Path">The --data path, or "generated" for the demo data.</param>
internal sealed record DataSource(string Path, bool HasValidation, Func<Dataset> Load);

/// <summary>The options that say where data comes from and how it is split; shared by the verbs that load data.</summary>
internal static class DataArguments
{
    private static readonly string[] DelimitedOptions =
        ["user-column", "item-column", "rating-column", "rating-threshold", "timestamp-column", "delimiter", "split", "train-ratio"];

    /// <summary>Runs <paramref name="work"/>; a user without a possible negative becomes a data error naming the user by the file's id.</summary>
    public static T NamingUsers<T>(Dataset data, string dataPath, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (NoNegativeException e)
        {
            throw new DataFormatException(dataPath, 0, $"user '{data.Users.GetId(e.UserIndex)}' {e.Reason}");
        }
    }

    /// <summary>Reads every data option; nothing is loaded until <see cref="DataSource.Load"/>.</summary>
    public static DataSource Read(ArgumentReader args, bool dataRequired = false)
    {
        string? path = args.String("data");
        if (path is { Length: 0 })
        {
            throw new UsageException("--data: the path is empty (expected a split folder or a CSV/TSV file)");
        }
        if (path is not null && args.Has("data-seed"))
        {
            throw new UsageException("--data-seed seeds the generated demo data; it does not apply with --data");
        }
        if (path is null && dataRequired)
        {
            throw new UsageException("--data PATH is required here (a split folder or a CSV/TSV file)");
        }
        double? validationRatio = args.Has("validation-ratio") ? OpenUnit(args, "validation-ratio", 0.1) : null;
        ulong splitSeed = (ulong)args.Int("split-seed", 2019, 0);
        string? inapplicable = DelimitedOptions.FirstOrDefault(args.Has);
        bool folder = path is not null && Directory.Exists(path);
        if (path is null || folder)
        {
            if (inapplicable is not null)
            {
                throw new UsageException(path is null
                    ? $"--{inapplicable} applies to a delimited file given by --data, but no --data is given (the generated demo data is already split)"
                    : $"--{inapplicable} applies to a delimited file, but --data '{path}' is a split folder (train.txt/test.txt)");
            }
            if (args.Has("split-seed") && validationRatio is null)
            {
                throw new UsageException("--split-seed seeds a split, but none is made here: the data is already split into train and test (add --validation-ratio R to carve a validation split)");
            }
        }
        Func<Dataset> load;
        if (path is null)
        {
            ulong dataSeed = (ulong)args.Int("data-seed", (int)SyntheticDataOptions.Defaults.Seed, 0);
            load = () => SyntheticData.Generate(new SyntheticDataOptions { Seed = dataSeed });
        }
        else if (folder)
        {
            load = () => SplitFileLoader.Load(path);
        }
        else
        {
            (DelimitedFileOptions options, SplitKind kind, double trainRatio) = ReadDelimited(args);
            if (!File.Exists(path))
            {
                throw new DataFormatException(path, 0, "no such file or folder (expected a folder with train.txt and test.txt, or a CSV/TSV file with a header)");
            }
            load = () => Splitter.Split(DelimitedFileLoader.Load(path, options), kind, trainRatio, splitSeed);
        }
        return new DataSource(path ?? "generated", validationRatio is not null,
            () => validationRatio is { } ratio ? Splitter.CarveValidation(load(), ratio, splitSeed) : load());
    }

    private static (DelimitedFileOptions, SplitKind, double) ReadDelimited(ArgumentReader args)
    {
        string? delimiterText = args.String("delimiter");
        char? delimiter = delimiterText switch
        {
            null => null,
            "tab" or "\\t" => '\t',
            { Length: 1 } when delimiterText[0] is >= ' ' and <= '~' and not '"' => delimiterText[0],
            _ => throw new UsageException($"--delimiter: '{ArgumentReader.Shorten(delimiterText)}' is not a field separator (expected one printable ASCII character other than a quote, e.g. ',' or ';', or 'tab')"),
        };
        string splitText = args.String("split", "random");
        SplitKind kind = splitText switch
        {
            "random" => SplitKind.Random,
            "temporal" => SplitKind.Temporal,
            _ => throw new UsageException($"--split: '{ArgumentReader.Shorten(splitText)}' is not a split (expected random or temporal)"),
        };
        string? timestampColumn = args.String("timestamp-column");
        if (kind == SplitKind.Temporal && timestampColumn is null)
        {
            throw new UsageException("--split temporal needs --timestamp-column");
        }
        if (kind == SplitKind.Random && timestampColumn is not null)
        {
            throw new UsageException("--timestamp-column is used only by --split temporal; the random split ignores it");
        }
        if (kind == SplitKind.Temporal && args.Has("split-seed") && !args.Has("validation-ratio"))
        {
            throw new UsageException("--split-seed seeds a random split, but --split temporal draws nothing (add --validation-ratio R to carve a validation split)");
        }
        string? ratingColumn = args.String("rating-column");
        if (args.Has("rating-threshold") && ratingColumn is null)
        {
            throw new UsageException("--rating-threshold needs --rating-column");
        }
        var options = new DelimitedFileOptions
        {
            Delimiter = delimiter,
            UserColumn = args.String("user-column", DelimitedFileOptions.Defaults.UserColumn),
            ItemColumn = args.String("item-column", DelimitedFileOptions.Defaults.ItemColumn),
            RatingColumn = ratingColumn,
            RatingThreshold = args.Double("rating-threshold", DelimitedFileOptions.Defaults.RatingThreshold),
            TimestampColumn = timestampColumn,
        };
        return (options, kind, OpenUnit(args, "train-ratio", 0.8));
    }

    /// <summary>A ratio in the open interval (0, 1).</summary>
    private static double OpenUnit(ArgumentReader args, string name, double fallback)
    {
        double value = args.Double(name, fallback);
        if (!(value > 0 && value < 1))
        {
            throw new UsageException($"--{name}: {args.String(name)} is out of range (expected a value in (0, 1))");
        }
        return value;
    }
}
