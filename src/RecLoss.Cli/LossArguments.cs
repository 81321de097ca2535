using RecLoss.Core.Losses;

namespace RecLoss.Cli;

/// <summary>Builds the loss from --loss and its own options; options of another loss are rejected.</summary>
internal static class LossArguments
{
    public const string Help = """
          --loss mml|ccl           loss (default mml)
          mml: --margins LIST (default 0.6,0.7,0.8,0.9)  --margin-weights LIST (default 0.05,0.15,0.2,0.6)
               --positive-weight X (default 1)  --negative-weight X (default 400)
          ccl: --margin X in [-1, 1] (default 0.9)  --negative-weight X (default 150)
        """;

    private static readonly Dictionary<string, string[]> s_optionsOf = new()
    {
        ["mml"] = ["margins", "margin-weights", "positive-weight", "negative-weight"],
        ["ccl"] = ["margin", "negative-weight"],
    };

    public static IRowLoss Read(ArgumentReader args)
    {
        string name = args.String("loss", "mml");
        if (!s_optionsOf.TryGetValue(name, out string[]? own))
        {
            throw new UsageException($"--loss: '{name}' is not a loss (expected one of {string.Join(", ", s_optionsOf.Keys)})");
        }
        foreach (string option in s_optionsOf.Values.SelectMany(o => o).Distinct().Except(own))
        {
            if (args.Has(option))
            {
                string owners = string.Join(", ", s_optionsOf.Where(kv => kv.Value.Contains(option)).Select(kv => kv.Key));
                throw new UsageException($"--{option} does not apply to --loss {name} (it is an option of {owners})");
            }
        }
        try
        {
            return name switch
            {
                "mml" => ReadMml(args),
                _ => new CosineContrastiveLoss(
                    args.Double("margin", CosineContrastiveLoss.Defaults.Margin, -1, 1),
                    args.Double("negative-weight", CosineContrastiveLoss.Defaults.NegativeWeight, 0)),
            };
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--loss {name}: {FirstLine(e.Message)}");
        }
    }

    private static MultiMarginLoss ReadMml(ArgumentReader args)
    {
        double[] margins = args.DoubleList("margins") ?? MultiMarginLoss.Defaults.Margins;
        double[] weights = args.DoubleList("margin-weights") ?? (args.Has("margins") && margins.Length != MultiMarginLoss.Defaults.Margins.Length
            ? throw new UsageException($"--margins has {margins.Length} values, so --margin-weights must give {margins.Length} weights too")
            : MultiMarginLoss.Defaults.MarginWeights);
        if (margins.Length != weights.Length)
        {
            throw new UsageException($"--margins has {margins.Length} values but --margin-weights has {weights.Length}; give one weight per margin");
        }
        return new MultiMarginLoss(margins, weights,
            args.Double("positive-weight", MultiMarginLoss.Defaults.PositiveWeight, 0),
            args.Double("negative-weight", MultiMarginLoss.Defaults.NegativeWeight, 0));
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
