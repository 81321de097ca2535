using System.Globalization;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Commands;

/// <summary>recloss experiment run|status|table FILE: a grid of train runs from a YAML spec, resumable cell by cell.</summary>
internal static class ExperimentCommand
{
    public static Verb Verb => new("experiment", "recloss experiment run|status|table FILE [options]", "run a YAML grid of training runs, resumably; show its status or its table",
        "run: trains the cells not yet finished, in order, each with a checkpoint (stop at any time; run again to continue); a finished cell writes experiments/results/NAME/CELL.json; a cell whose training (data and options) another spec has finished takes that result. status: done, running, stopped and left cells, with the time left (the options of every cell left checked first, as run checks them); given several spec files (status FILE FILE ..., e.g. experiments/*.yaml), each spec's and then the time left for all of them, a training two specs share counted once unless both copies have started (or with --no-reuse). table: the finished cells over their seeds beside the published figures, as table.md, table.csv and table.json, and provenance.md: each cell's binaries (from which epoch), times, threads and median epoch time; for a spec with choose: KEY, table-chosen.md and .json: that key's value per row picked by validation Recall@20, reported by its test figures. --smoke runs the spec's short version on generated data, its results kept apart under experiments/runs/.",
        [new("smoke", null, Section.Query, "the spec's short version (its smoke: settings) on generated data"),
         new("data-root", "DIR", Section.Query, "the folder holding the data sets the grid names (default ../shared/data)"),
         new("experiments", "DIR", Section.Query, "the folder for runs/ and results/ (default experiments)"),
         new("checkpoint-every", "N", Section.Query, "epochs between a cell's checkpoints (default 5)"),
         new("threads", "N", Section.Query, "run: worker threads of each cell's training, 0 = all cores (default); results do not depend on it. Two runners with --threads 1 share one spec's cells: each leaves the cell the other is training"),
         new("no-reuse", null, Section.Query, "run: train every cell, even one whose identical training (data and options) another spec has finished; by default that result is copied"),
         new("until", "TIME", Section.Query, "run: start only the cells estimated (at their own pace, else that of the cells alike) to finish by TIME, an ISO 8601 time with its zone (e.g. 2026-12-04T16:30Z, or \"$(date -u -d '+170 min' +%FT%RZ)\"); the others are left for a later run. For a machine that goes away at a known time: a cell cut short leaves only a checkpoint, which goes with it"),
         new("cells", "PATTERNS", Section.Query, "run or status: only the cells whose names match, comma-separated, * and ? as wildcards (e.g. 'gowalla_mml_*,gowalla_ccl_*')")],
        Run, Positionals: "ACTION FILE");

    private static int Run(ArgumentReader args, VerbContext context)
    {
        bool several = args.Positionals.Count > 2 && args.Positionals[0] == "status";
        if ((args.Positionals.Count != 2 && !several) || args.Positionals[0] is not ("run" or "status" or "table"))
        {
            throw new UsageException($"expected an action and a spec file: recloss experiment run|status|table FILE, or status FILE FILE ... (got {(args.Positionals.Count == 0 ? "nothing" : string.Join(" ", args.Positionals.Select(p => $"'{ArgumentReader.Shorten(p)}'")))})");
        }
        (string action, string file) = (args.Positionals[0], args.Positionals[1]);
        bool smoke = args.Flag("smoke");
        string dataRoot = args.String("data-root", "../shared/data");
        string root = args.String("experiments", "experiments");
        int every = args.Int("checkpoint-every", 5, 1);
        string? cells = args.String("cells");
        bool reuse = !args.Flag("no-reuse");
        bool threadsGiven = args.Has("threads");
        int threads = args.Int("threads", 0, 0, 1024);
        string? untilText = args.String("until");
        args.EnsureAllUsed("experiment");
        if (untilText is not null && action != "run")
        {
            throw new UsageException($"--until applies to experiment run (the cells it starts), not to {action}");
        }
        DateTime? until = untilText is null ? null : ParseUntil(untilText);
        if (threadsGiven && action != "run")
        {
            throw new UsageException($"--threads applies to experiment run (the threads each cell trains on), not to {action}");
        }
        RequireFiles(action, args.Positionals.Skip(1));
        if (several)
        {
            if (cells is not null)
            {
                throw new UsageException("--cells picks cells of one spec; give one spec file with it");
            }
            return StatusOfSeveral(args.Positionals.Skip(1).ToList(), smoke, dataRoot, root, every, reuse, context.Output);
        }
        var runner = new ExperimentRunner(ExperimentSpec.Load(file), smoke, dataRoot, root, every) { Reuse = reuse, Threads = threads, Until = until };
        if (cells is not null && action == "table")
        {
            throw new UsageException("--cells applies to experiment run and status; a table covers every finished cell");
        }
        HashSet<string>? only = cells is null ? null : runner.Select(cells);
        switch (action)
        {
            case "status":
                runner.Status(context.Output, only, ExperimentRunner.RunnerThreads([runner]));
                return ExitCodes.Success;
            case "table":
                runner.WarnStale(context.Error, "table");
                context.Output.Write(ExperimentTables.Write(runner));
                return ExitCodes.Success;
            default:
                (int ran, int reusedCount, int busy, int deferred, int stale, int code) = runner.Run(context, only);
                if (code != ExitCodes.Success)
                {
                    return code;   // a cell failed: its own message is above
                }
                int done = runner.FinishedCount;
                string reused = reusedCount > 0 ? $", {reusedCount} taken from other specs" : "";
                string others = string.Join(", ", new[]
                {
                    busy > 0 ? $"{busy} running in another runner" : null,
                    deferred > 0 ? $"{deferred} left by --until for a later run" : null,
                    stale > 0 ? $"{stale} with a stale result, named above" : null,
                    only is not null ? (busy + deferred + stale > 0 ? "the rest not among --cells" : "the others were not among --cells") : null,
                }.OfType<string>());
                context.Output.WriteLine(done == runner.Cells.Count ? $"{runner.Spec.Name}: {ran} cells run now{reused}, all {runner.Cells.Count} done"
                    : $"{runner.Spec.Name}: {ran} cells run now{reused}, {done} of {runner.Cells.Count} done ({others})");
                context.Output.Write(ExperimentTables.Write(runner));
                // A stale result blocks its cell until someone moves it aside: the run did not do what the spec asks.
                if (stale > 0)
                {
                    context.Error.WriteLine($"error: {runner.Spec.Name}: {stale} cell{(stale == 1 ? "" : "s")} with a stale result (named above) did not run; move the result aside to run it as the spec says");
                    return ExitCodes.CheckFailed;
                }
                return ExitCodes.Success;
        }
    }

    /// <summary>--until's time in UTC: an ISO 8601 date and time with its zone (Z or an offset); a time without its zone
    /// or date is refused, as the machine's zone or day would silently shift it.</summary>
    private static DateTime ParseUntil(string text)
    {
        bool shaped = System.Text.RegularExpressions.Regex.IsMatch(text, @"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d:?\d\d)$");
        if (!shaped || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset at))
        {
            throw new UsageException($"--until: expected an ISO 8601 date and time with its zone, such as 2026-12-04T16:30Z or 2026-12-04T17:30+01:00 (got '{ArgumentReader.Shorten(text)}')");
        }
        return at.UtcDateTime;
    }

    /// <summary>Every spec file given exists, checked before any is read: the first missing one named.</summary>
    private static void RequireFiles(string action, IEnumerable<string> files)
    {
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
        {
            throw new UsageException($"experiment {action}: '{missing}' is not a file (expected a YAML spec such as experiments/mml-table3.yaml)");
        }
    }

    /// <summary>Each spec's status in turn, then the time left for all of them.</summary>
    private static int StatusOfSeveral(List<string> files, bool smoke, string dataRoot, string root, int every, bool reuse, TextWriter output)
    {
        // A spec named twice (a glob and the file itself) is one spec: counted twice, its cells and runners would be too.
        List<ExperimentRunner> runners = [.. files.DistinctBy(Path.GetFullPath).Select(f => new ExperimentRunner(ExperimentSpec.Load(f), smoke, dataRoot, root, every) { Reuse = reuse })];
        var left = new List<ExperimentRunner.LeftCell>();
        runners.ForEach(r => r.CheckOptions());   // every spec checked before any prints: a mistake stops status whole
        int? threads = ExperimentRunner.RunnerThreads(runners);
        foreach (ExperimentRunner runner in runners)
        {
            left.AddRange(runner.Status(output, runnerThreads: threads));
            output.WriteLine();
        }
        output.WriteLine($"all {runners.Count} specs{(reuse ? ", a training two specs share counted once" : "")}: {ExperimentRunner.TimeLeft(ExperimentRunner.Distinct(left, reuse), threads)}");
        return ExitCodes.Success;
    }
}
