using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Commands;

/// <summary>recloss report: one HTML page with every experiment's tables and figures (ScottPlot), and the figures as files.</summary>
internal static class ReportCommand
{
    public static Verb Verb => new("report", "recloss report [SPEC ...] [--out DIR]", "an HTML report of the experiments' finished cells, with figures",
        "Without SPEC, every experiments/*.yaml, in the order of their order: keys (then by file name); with SPECs, in the order given. Writes DIR/index.html (self-contained: tables and inline SVG figures) and DIR/figures/*.svg and *.png: learning curves, Recall@20 and NDCG@20 against the number of negatives and against noise, and a bar per cell where labels (@stopping, @margins) name the cells.",
        [new("out", "DIR", Section.Output, "the report folder (default experiments/report)"),
         new("smoke", null, Section.Query, "report the specs' smoke runs instead"),
         new("experiments", "DIR", Section.Query, "the folder holding runs/ and results/ (default experiments)")],
        Run, Positionals: "SPEC");

    private static int Run(ArgumentReader args, VerbContext context)
    {
        string root = args.String("experiments", "experiments");
        string folder = args.String("out", Path.Combine(root, "report"));
        bool smoke = args.Flag("smoke");
        args.EnsureAllUsed("report");
        string[] specs = args.Positionals.Count > 0 ? [.. args.Positionals] : Directory.Exists(root) ? [.. Directory.GetFiles(root, "*.yaml").Order()] : [];
        if (specs.Length == 0)
        {
            throw new UsageException($"no experiment specs: none given and no {Path.Combine(root, "*.yaml")}");
        }
        foreach (string spec in specs.Where(s => !File.Exists(s)))
        {
            throw new UsageException($"report: '{spec}' is not a file (expected a YAML spec)");
        }
        IEnumerable<ExperimentSpec> loaded = specs.Select(ExperimentSpec.Load);
        if (args.Positionals.Count == 0)
        {
            loaded = loaded.OrderBy(s => s.Order);      // stable: the file names' order among equal (or absent) keys
        }
        var runners = loaded.Select(s => new ExperimentRunner(s, smoke, "", root, 1)).ToList();
        runners.ForEach(r => r.WarnStale(context.Error, "report"));
        string page = ExperimentReport.Write(runners, folder);
        context.Output.WriteLine($"report: {page} ({runners.Count} specs, {runners.Sum(r => r.FinishedCount)} finished cells)");
        return ExitCodes.Success;
    }
}
