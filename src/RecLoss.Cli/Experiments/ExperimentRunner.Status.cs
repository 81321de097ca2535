using System.Globalization;
using System.Text.Json.Nodes;

namespace RecLoss.Cli.Experiments;

/// <summary>What is done, running and left, and how long the rest takes.</summary>
internal sealed partial class ExperimentRunner
{
    /// <summary>A cell still to train: its training (data and options, as reuse compares them), its epochs left, their
    /// estimated train seconds each (null: nothing alike has finished or started), and whether a runner holds it now.</summary>
    internal sealed record LeftCell(string Spec, string Training, int Epochs, bool Started, double? SecondsPerEpoch, bool Running = false);

    /// <summary>The thread counts of the processes training this spec's cells now, as the segments they added to their
    /// checkpoints record them; null for one that has not written its first checkpoint yet (the last segment is then an
    /// earlier process's, started before the lock was taken) or whose checkpoint predates the record.</summary>
    public IEnumerable<int?> LiveThreads() =>
        Cells.Where(c => !File.Exists(ResultPath(c)) && IsRunning(c)).Select(LiveThreads);

    private int? LiveThreads(Cell cell)
    {
        if (!File.Exists(CheckpointPath(cell)))
        {
            return null;
        }
        (_, _, int? threads, DateTime? started, _) = CheckpointProgress(CheckpointPath(cell));
        DateTime locked = File.GetLastWriteTimeUtc(CellLock.PathIn(RunFolder(cell)));
        return started >= locked.AddSeconds(-2) ? threads : null;
    }

    /// <summary>The thread count most of the live runners train on; null when none records it.</summary>
    public static int? RunnerThreads(IEnumerable<ExperimentRunner> runners) =>
        runners.SelectMany(r => r.LiveThreads()).OfType<int>().GroupBy(t => t).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => (int?)g.Key).FirstOrDefault();

    /// <summary>What is done, running, stopped part way and left, with an estimate of the time left (for cells not
    /// started, at the epoch times of the finished cells alike, or the started ones where none finished, trained on
    /// <paramref name="runnerThreads"/> threads where there are some); returns the cells left. Started cells time only
    /// the cells of their own spec; finished ones also those of the specs that could reuse them.</summary>
    public IReadOnlyList<LeftCell> Status(TextWriter o, IReadOnlySet<string>? only = null, int? runnerThreads = null)
    {
        CheckOptions(only);
        var reusable = new Dictionary<string, string>(StringComparer.Ordinal);
        var stale = new Dictionary<string, string>(StringComparer.Ordinal);
        var rows = new List<(Cell Cell, string State, int Done, int Total)>();
        var measured = new Dictionary<string, double>(StringComparer.Ordinal);   // a started cell's own seconds per epoch
        List<ReuseSource>? sources = null;
        foreach (Cell cell in Cells)
        {
            int total = EpochsOf(cell);
            if (Stale(cell) is { } difference)
            {
                stale[cell.Key] = difference;
                rows.Add((cell, "stale", 0, total));
                continue;
            }
            if (File.Exists(ResultPath(cell)))
            {
                int epochs = JsonNode.Parse(File.ReadAllText(ResultPath(cell)))!["epochs"]!.AsArray().Count;
                rows.Add((cell, "done", epochs, epochs));
                continue;
            }
            (int done, double? own, _, _, JsonNode? runState) = File.Exists(CheckpointPath(cell)) ? CheckpointProgress(CheckpointPath(cell)) : (0, null, null, null, null);
            if (own is { } ownSeconds && runState?["history"] is JsonArray)
            {
                measured[cell.Key] = ownSeconds;
            }
            bool running = IsRunning(cell);
            // As run decides: a cell not started here takes another spec's result of the same training.
            sources ??= ReuseSources();
            ReuseMatch? match = !running && Reuse && !File.Exists(CheckpointPath(cell)) ? SameTraining(cell, sources) : null;
            string? same = match is null ? null
                : match.Name + (match.KeepEvery is { } k ? $" (evaluated every {match.SourceEvery}; every {k} kept)" : "");
            rows.Add(same is not null ? (cell, "reuse", total, total)
                : (cell, running ? "running" : done > 0 ? "stopped" : "left", done, total));
            if (same is not null)
            {
                reusable[cell.Key] = same;
            }
        }
        rows = [.. rows.Where(r => only is null || only.Contains(r.Cell.Key))];
        // Every finished or started cell times the epochs left, listed or not.
        EpochTimes times = AlikeTimes(sources ?? []);
        int finished = rows.Count(r => r.State == "done");
        int staleCount = rows.Count(r => r.State == "stale");
        o.WriteLine($"{Spec.Name}{(Smoke ? " (smoke)" : "")}: {finished} of {rows.Count} cells done{(staleCount > 0 ? $", {staleCount} stale (not in the time left: they run once their results are moved aside)" : "")}{(only is null ? "" : $" (the {rows.Count} of {Cells.Count} among --cells)")}; results in {ResultsFolder}");
        foreach ((Cell cell, string state, int done, int total) in rows)
        {
            o.WriteLine(state == "reuse" ? $"  {state,-8} {cell.Key,-40} the same training as {reusable[cell.Key]}: run takes its result"
                : state == "stale" ? $"  {state,-8} {StaleMessage(cell, stale[cell.Key])}; left out of tables"
                : $"  {state,-8} {cell.Key,-40} epoch {done,4} / {total}");
        }
        List<LeftCell> left = [.. rows.Where(r => r.State is not ("done" or "reuse" or "stale")).Select(r => new LeftCell(Spec.Name, TrainingKey(r.Cell), r.Total - r.Done,
            r.Done > 0 || r.State == "running",
            measured.TryGetValue(r.Cell.Key, out double own) ? own : times.SecondsPerEpoch(Smoke, r.Cell, runnerThreads),
            r.State == "running"))];
        o.WriteLine(TimeLeft(left, runnerThreads));
        return left;
    }

    /// <summary>The epochs left and the time they take, in one sentence; with two or more cells held by runners, also
    /// the wall-clock time if those runners go on side by side (each takes the next cell: the summed time over their
    /// number, and no less than the longest cell).</summary>
    internal static string TimeLeft(IReadOnlyList<LeftCell> left, int? runnerThreads = null)
    {
        int epochsLeft = left.Sum(l => l.Epochs);
        int untimed = left.Where(l => l.SecondsPerEpoch is null).Sum(l => l.Epochs);
        double seconds = left.Sum(l => l.Epochs * (l.SecondsPerEpoch ?? 0)) * Overhead;
        int runners = left.Count(l => l.Running);
        double longest = left.Max(l => (double?)l.Epochs * (l.SecondsPerEpoch ?? 0)) * Overhead ?? 0;
        string wallClock = runners < 2 ? ""
            : string.Create(CultureInfo.InvariantCulture, $"; with the {runners} runners training now side by side, about {Days(Math.Max(seconds / runners, longest))} of wall-clock");
        string threads = runnerThreads is { } t ? $"trained on {t} thread{(t == 1 ? "" : "s")} like the live runners, where some were; " : "";
        string basis = "the others at that of the finished cells alike (data set, encoder (LightGCN's at its layers, batch, rows and negatives), loss; "
            + threads + "the started ones where none finished), at the same negatives where some finished, else scaled by the negatives";
        return epochsLeft == 0 ? "nothing left to run"
            : untimed == epochsLeft ? string.Create(CultureInfo.InvariantCulture, $"{epochsLeft:N0} epochs left (no finished or started cell alike yet to time them: the same data set and encoder, LightGCN's at its layers, batch, rows and negatives)")
            : string.Create(CultureInfo.InvariantCulture, $"{epochsLeft:N0} epochs left: about {Days(seconds)} (d.hh:mm) one cell at a time")
                + (untimed > 0 ? string.Create(CultureInfo.InvariantCulture, $" for the {epochsLeft - untimed:N0} timed and more for {untimed:N0} with no finished or started cell alike to time them") : "")
                + wallClock
                + $": a started cell at its own epoch time (in its latest process), {basis}, +{(Overhead - 1) * 100:0}% for evaluation and checkpoints";
    }

    private static string Days(double seconds) => TimeSpan.FromSeconds(seconds).ToString(@"d\.hh\:mm", CultureInfo.InvariantCulture);

    /// <summary>The cells left in several specs, as run will train them: a training two specs share trains once when
    /// neither copy has started (the other copy then takes its result), and every started copy goes on from its own
    /// checkpoint; two identical cells of one spec both train; without reuse every copy trains.</summary>
    internal static IReadOnlyList<LeftCell> Distinct(IEnumerable<LeftCell> left, bool reuse) =>
        !reuse ? [.. left] : [.. left.GroupBy(l => l.Training, StringComparer.Ordinal).SelectMany(copies =>
        {
            double? seconds = copies.Select(l => l.SecondsPerEpoch).FirstOrDefault(t => t is not null);
            List<LeftCell> started = [.. copies.Where(l => l.Started)];
            IEnumerable<LeftCell> kept = started.Count > 0 ? started
                : copies.GroupBy(l => l.Spec, StringComparer.Ordinal).MaxBy(spec => spec.Count())!;
            return kept.Select(l => l with { SecondsPerEpoch = l.SecondsPerEpoch ?? seconds });
        })];

    /// <summary>The epoch a checkpoint reached, its median train seconds per epoch in its latest process (all its
    /// history when that has none yet), the thread count and start of that process as its segment records them, and
    /// the run state (history, segments); (0, null, null, null, null) for a checkpoint that cannot be read.</summary>
    private static (int Epoch, double? SecondsPerEpoch, int? Threads, DateTime? Started, JsonNode? RunState) CheckpointProgress(string path)
    {
        try
        {
            Core.Models.ModelHeader header = Core.Models.ModelFile.ReadHeader(path);
            var segments = header.RunState?["segments"] as JsonArray;
            JsonNode? last = EpochTimes.LastSegment(segments);
            DateTime? started = Utc(last?["startedUtc"]);
            return (header.Epoch, header.RunState?["history"] is JsonArray history ? EpochTimes.MedianTrainSeconds(history, segments) : null, EpochTimes.Threads(last), started,
                header.RunState);
        }
        catch (Core.Models.ModelFileException)
        {
            return (0, null, null, null, null);
        }
    }

    private bool IsRunning(Cell cell) => CellLock.IsHeld(RunFolder(cell));

    /// <summary>Evaluation and checkpoints on top of the training seconds, in every estimate of the time left.</summary>
    private const double Overhead = 1.15;

    /// <summary>The epoch times of this spec's finished cells (not those that took another's result), of its started
    /// cells' checkpoints, and of <paramref name="sources"/> (the other specs' results a cell could take).</summary>
    private EpochTimes AlikeTimes(IEnumerable<ReuseSource> sources)
    {
        var times = new EpochTimes();
        foreach (Cell cell in Cells)
        {
            if (File.Exists(ResultPath(cell)))
            {
                // A stale result still times its training; one that cannot be read times nothing.
                if (ReadResult(cell) is { } result && result["reusedFrom"] is null && result["epochs"] is JsonArray)
                {
                    times.Add(Smoke, cell.Data, result);
                }
            }
            else if (File.Exists(CheckpointPath(cell)) && CheckpointProgress(CheckpointPath(cell)) is { RunState: { } state }
                && state["history"] is JsonArray history)
            {
                times.Add(Smoke, cell.Data, cell.Options, history, state["segments"] as JsonArray, started: true);
            }
        }
        foreach (ReuseSource source in sources)
        {
            times.Add(source.Smoke, source.Data, source.Result);
        }
        return times;
    }

    private static int EpochsOf(Cell cell) =>
        cell.Options.TryGetValue("epochs", out string? e) && int.TryParse(e, CultureInfo.InvariantCulture, out int n) ? n : 100;

    /// <summary>The estimated seconds a cell still needs on <paramref name="threads"/> threads, +15 % for evaluation
    /// and checkpoints: a started cell at its own epoch time when its latest process trained on as many threads, else
    /// (as status times cells not started) at that of the finished and started cells alike, preferring those timed on
    /// as many threads; null when nothing alike times it.</summary>
    internal double? SecondsLeft(Cell cell, int threads)
    {
        int done = 0;
        if (File.Exists(CheckpointPath(cell)))
        {
            (done, double? own, int? ownThreads, _, _) = CheckpointProgress(CheckpointPath(cell));
            if (own is { } seconds && ownThreads == threads)
            {
                return (EpochsOf(cell) - done) * seconds * Overhead;
            }
        }
        EpochTimes times = AlikeTimes(ReuseSources());
        return times.SecondsPerEpoch(Smoke, cell, threads) * (EpochsOf(cell) - done) * Overhead;
    }
}
