using RecLoss.Core.Data;

namespace RecLoss.Cli;

/// <summary>The options that say where data comes from and how it is split; shared by the verbs that load data.</summary>
internal static class DataArguments
{
    public const string Help = """
          --data PATH              a folder with train.txt and test.txt (LightGCN format), or a CSV/TSV file with a header
          --user-column NAME       delimited file: user column (default user_id; 'name' also matches 'name:token')
          --item-column NAME       delimited file: item column (default item_id)
          --rating-column NAME     delimited file: rating column; rows below --rating-threshold are not positives
          --rating-threshold X     smallest positive rating (default 4)
          --timestamp-column NAME  delimited file: timestamp column (needed by --split temporal)
          --delimiter C            delimited file: field separator, 'tab' or one character (default: sniffed from the header)
          --split random|temporal  delimited file: per-user split into train and test (default random)
          --train-ratio X          delimited file: share of each user's interactions in train, in (0, 1) (default 0.8)
          --validation-ratio X     carve this share of each user's train items out as a validation split, in (0, 1)
          --split-seed N           seed of the random splits (default 2019)
        """;

    public static Dataset Load(ArgumentReader args, string path)
    {
        ulong splitSeed = (ulong)args.Int("split-seed", 2019, 0);
        double? validationRatio = args.Has("validation-ratio") ? args.Double("validation-ratio", 0.1, 0, 1, minExclusive: true) : null;
        if (validationRatio is >= 1)
        {
            throw new UsageException($"--validation-ratio: {validationRatio} is out of range (expected a value in (0, 1))");
        }
        Dataset data;
        if (Directory.Exists(path))
        {
            foreach (string option in new[] { "user-column", "item-column", "rating-column", "rating-threshold", "timestamp-column", "delimiter", "split", "train-ratio" })
            {
                if (args.Has(option))
                {
                    throw new UsageException($"--{option} applies to a delimited file, but --data '{path}' is a split folder (train.txt/test.txt)");
                }
            }
            data = SplitFileLoader.Load(path);
        }
        else
        {
            string? delimiterText = args.String("delimiter");
            char? delimiter = delimiterText switch
            {
                null => null,
                "tab" or "\\t" => '\t',
                { Length: 1 } => delimiterText[0],
                _ => throw new UsageException($"--delimiter: '{delimiterText}' is not one character (expected e.g. ',' or 'tab')"),
            };
            string splitText = args.String("split", "random");
            SplitKind kind = splitText switch
            {
                "random" => SplitKind.Random,
                "temporal" => SplitKind.Temporal,
                _ => throw new UsageException($"--split: '{splitText}' is not a split (expected random or temporal)"),
            };
            string? timestampColumn = args.String("timestamp-column");
            if (kind == SplitKind.Temporal && timestampColumn is null)
            {
                throw new UsageException("--split temporal needs --timestamp-column");
            }
            var options = new DelimitedFileOptions
            {
                Delimiter = delimiter,
                UserColumn = args.String("user-column", DelimitedFileOptions.Defaults.UserColumn),
                ItemColumn = args.String("item-column", DelimitedFileOptions.Defaults.ItemColumn),
                RatingColumn = args.String("rating-column"),
                RatingThreshold = args.Double("rating-threshold", DelimitedFileOptions.Defaults.RatingThreshold),
                TimestampColumn = timestampColumn,
            };
            if (args.Has("rating-threshold") && options.RatingColumn is null)
            {
                throw new UsageException("--rating-threshold needs --rating-column");
            }
            double trainRatio = args.Double("train-ratio", 0.8, 0, 1, minExclusive: true);
            if (trainRatio >= 1)
            {
                throw new UsageException($"--train-ratio: {trainRatio} is out of range (expected a value in (0, 1))");
            }
            data = Splitter.Split(DelimitedFileLoader.Load(path, options), kind, trainRatio, splitSeed);
        }
        return validationRatio is { } ratio ? Splitter.CarveValidation(data, ratio, splitSeed) : data;
    }
}
