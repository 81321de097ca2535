using RecLoss.Core.Data;

namespace RecLoss.Cli.Commands;

/// <summary>recloss stats: users, items, interactions, density and per-user counts of each split.</summary>
internal static class StatsCommand
{
    public static Verb Verb => new("stats", "recloss stats --data PATH [data options]", "data set statistics",
        "Prints users, items, interactions, density and per-user min/mean/max per split, and the legal oddities found while reading.",
        [.. OptionCatalog.Data.Where(o => o.Name is not ("data-seed" or "data")).Prepend(
            new OptionSpec("data", "PATH", Section.Data, "required: a folder with train.txt and test.txt (LightGCN format), or a CSV/TSV file with a header"))], Run);

    private static int Run(ArgumentReader args, VerbContext context)
    {
        DataSource source = DataArguments.Read(args, dataRequired: true);
        args.EnsureAllUsed("stats");
        Dataset data = source.Load();
        Render.Statistics(context.Output, DatasetStatistics.Of(data));
        Render.Notes(context.Output, data.Report);
        return ExitCodes.Success;
    }
}
