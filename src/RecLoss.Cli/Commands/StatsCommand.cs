using RecLoss.Core.Data;

namespace RecLoss.Cli.Commands;

/// <summary>recloss stats: users, items, interactions, density and per-user counts of each split.</summary>
internal static class StatsCommand
{
    public const string Help = "recloss stats --data PATH [data options]\n  Prints users, items, interactions, density and per-user min/mean/max per split.\n\n" + DataArguments.Help;

    public static int Run(ArgumentReader args, TextWriter output)
    {
        string path = args.String("data") ?? throw new UsageException("stats needs --data PATH");
        Dataset data = DataArguments.Load(args, path);
        args.EnsureAllUsed("stats");
        Render.Statistics(output, DatasetStatistics.Of(data));
        Render.Notes(output, data.Report);
        return ExitCodes.Success;
    }
}
