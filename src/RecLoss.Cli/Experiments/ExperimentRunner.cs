using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecLoss.Cli.Commands;
using RecLoss.Core;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// Runs an experiment's cells in order, each through train with a checkpoint, so that stopping at any moment loses at
/// most the epochs since the last checkpoint. A finished cell leaves a small result file (kept in git) and is skipped
/// from then on; the run folders with their checkpoints are large and stay out of git.
/// </summary>
internal sealed partial class ExperimentRunner
{
    public ExperimentRunner(ExperimentSpec spec, bool smoke, string dataRoot, string experimentsRoot, int checkpointEvery)
    {
        Spec = spec;
        Smoke = smoke;
        DataRoot = dataRoot;
        CheckpointEvery = checkpointEvery;
        string name = spec.Name + (smoke ? "-smoke" : "");
        RunsFolder = Path.Combine(experimentsRoot, "runs", name);
        // Smoke results are scratch: under runs/ (ignored by git), not among the published results.
        ResultsFolder = smoke ? Path.Combine(RunsFolder, "results") : Path.Combine(experimentsRoot, "results", spec.Name);
        Cells = spec.Cells(smoke);
    }

    public ExperimentSpec Spec { get; }

    public bool Smoke { get; }

    public string DataRoot { get; }

    public int CheckpointEvery { get; }

    /// <summary>Worker threads of each cell's training; 0 = train's default (all cores). Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>When set, run starts only the cells estimated to finish by this time (UTC).</summary>
    public DateTime? Until { get; init; }

    public string RunsFolder { get; }

    public string ResultsFolder { get; }

    public List<Cell> Cells { get; }

    public string RunFolder(Cell cell) => Path.Combine(RunsFolder, cell.Key);

    public string ResultPath(Cell cell) => Path.Combine(ResultsFolder, cell.Key + ".json");

    /// <summary>How many cells have a result trained as the spec now says (not <see cref="Stale"/>).</summary>
    public int FinishedCount => Cells.Count(c => File.Exists(ResultPath(c)) && Stale(c) is null);

    /// <summary>The finished cells with their parsed result files, in spec order; stale results left out.</summary>
    public List<(Cell Cell, JsonNode Result)> FinishedResults() =>
        [.. Cells.Select(c => (Cell: c, Result: ReadResult(c)))
            .Where(r => r.Result is { } result && OptionsDiffer(r.Cell.Options, result["options"]) is null)
            .Select(r => (r.Cell, (JsonNode)r.Result!))];

    /// <summary>The data folder a cell trains on; null for generated data (smoke, or none named).</summary>
    private string? DataFolder(Cell cell) => cell.Data is null || Smoke ? null : Path.Combine(DataRoot, cell.Data);

    private string CheckpointFolderOf(Cell cell) => Path.Combine(RunFolder(cell), "checkpoint");

    private string CheckpointPath(Cell cell) => Path.Combine(CheckpointFolderOf(cell), CheckpointFolder.FileName);

    /// <summary>The train options of a cell: its own, its data under the data root (none when smoke: generated data),
    /// and the run folder with its checkpoint.</summary>
    public List<KeyValuePair<string, string?>> TrainOptions(Cell cell)
    {
        List<KeyValuePair<string, string?>> options = CellOptions(cell);
        options.AddRange([new("out", RunFolder(cell)), new("force", null), new("checkpoint", CheckpointFolderOf(cell)),
            new("checkpoint-every", CheckpointEvery.ToString(CultureInfo.InvariantCulture))]);
        if (Threads > 0)
        {
            options.Add(new("threads", Threads.ToString(CultureInfo.InvariantCulture)));
        }
        return options;
    }

    /// <summary>Checks every cell's options as train would (only <paramref name="only"/>'s when given: the check makes
    /// each cell's run folders), before any cell runs; a mistake names the spec and the cell.</summary>
    public List<Func<VerbContext, int>?> Prepare(IReadOnlySet<string>? only = null)
    {
        var runs = new List<Func<VerbContext, int>?>();
        foreach (Cell cell in Cells)
        {
            if (only is not null && !only.Contains(cell.Key))
            {
                runs.Add(null);
                continue;
            }
            runs.Add(PrepareCell(cell, TrainOptions(cell)));
        }
        return runs;
    }

    /// <summary>Checks the options of the cells not yet finished as <see cref="Prepare"/> does, without the run folder and
    /// checkpoint options it adds (a spec cannot set those) and without making a folder, so that status shows no time
    /// for a cell run would refuse. A cell whose data is absent here is checked when it runs.</summary>
    public void CheckOptions(IReadOnlySet<string>? only = null)
    {
        foreach (Cell cell in Cells.Where(c => (only is null || only.Contains(c.Key)) && !File.Exists(ResultPath(c))))
        {
            if (DataFolder(cell) is not { } data || Path.Exists(data))
            {
                PrepareCell(cell, CellOptions(cell));
            }
        }
    }

    /// <summary>A cell's own options and its data under the data root (none when smoke: generated data).</summary>
    private List<KeyValuePair<string, string?>> CellOptions(Cell cell) =>
        [.. cell.Options, .. DataFolder(cell) is { } data ? new KeyValuePair<string, string?>[] { new("data", data) } : []];

    private Func<VerbContext, int> PrepareCell(Cell cell, List<KeyValuePair<string, string?>> options)
    {
        try
        {
            return TrainCommand.Prepare(new ArgumentReader(options), "train", null);
        }
        catch (UsageException e)
        {
            throw new UsageException($"{Spec.Path}: cell {cell.Key}: {e.Message}");
        }
    }

    /// <summary>The cells whose key matches one of the comma-separated patterns (<c>*</c> any run of characters,
    /// <c>?</c> one), in spec order; a pattern matching no cell is a usage error listing the cells.</summary>
    public HashSet<string> Select(string patterns)
    {
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string pattern in patterns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            List<Cell> matched = [.. Cells.Where(c => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, c.Key, ignoreCase: false))];
            if (matched.Count == 0)
            {
                throw new UsageException($"--cells: '{ArgumentReader.Shorten(pattern)}' matches no cell of {Spec.Name} (its cells: {string.Join(", ", Cells.Select(c => c.Key))})");
            }
            chosen.UnionWith(matched.Select(c => c.Key));
        }
        return chosen.Count > 0 ? chosen : throw new UsageException("--cells: expected one or more cell names or patterns such as 'gowalla_*' or 'yelp2018_mml_2019,gowalla_ccl_*'");
    }

    /// <summary>Runs the cells not yet finished, in order (only <paramref name="only"/>'s when given); returns how many
    /// trained, how many took another spec's result, how many another runner was training, how many --until left for
    /// later, how many have a stale result (neither trained nor counted done), and the exit code (a failed cell's).</summary>
    public (int Ran, int Reused, int Busy, int Deferred, int Stale, int Code) Run(VerbContext context, IReadOnlySet<string>? only = null)
    {
        List<Func<VerbContext, int>?> runs = Prepare(only);
        Directory.CreateDirectory(ResultsFolder);
        (int ran, int reused, int busy, int deferred, int stale) = (0, 0, 0, 0, 0);
        for (int c = 0; c < Cells.Count; c++)
        {
            Cell cell = Cells[c];
            if (only is not null && !only.Contains(cell.Key))
            {
                continue;
            }
            if (Stale(cell) is { } difference)
            {
                stale++;
                context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {StaleMessage(cell, difference)}");
                continue;
            }
            if (File.Exists(ResultPath(cell)))
            {
                context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {cell.Key}: done ({ResultPath(cell)})");
                continue;
            }
            using CellLock? held = CellLock.TryTake(RunFolder(cell));
            if (held is null)
            {
                busy++;
                context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {cell.Key}: another runner is training it (it holds {CellLock.PathIn(RunFolder(cell))}): left to it");
                continue;
            }
            if (File.Exists(ResultPath(cell)))
            {
                // Another runner finished it between the check above and the lock.
                context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {cell.Key}: done ({ResultPath(cell)})");
                continue;
            }
            // Sources are read again for every cell: another spec's run may have finished one meanwhile.
            if (Reuse && !File.Exists(CheckpointPath(cell)) && SameTraining(cell, ReuseSources()) is { } same)
            {
                CopyResult(cell, same);
                reused++;
                context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {cell.Key}: the same training as {same.Name} ({same.How}): its result reused");
                continue;
            }
            if (Until is { } until && Defer(cell, until) is { } why)
            {
                deferred++;
                context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {cell.Key}: {why}: left for a later run");
                continue;
            }
            context.Output.WriteLine($"[{c + 1}/{Cells.Count}] {cell.Key}: train {string.Join(" ", TrainOptions(cell).Select(o => o.Value is null ? $"--{o.Key}" : $"--{o.Key} {o.Value}"))}");
            int code = runs[c]!(context);
            if (code != ExitCodes.Success)
            {
                context.Error.WriteLine($"{Spec.Name}: cell {cell.Key} stopped (exit {code}); its run folder is {RunFolder(cell)}. Fix the cause and run again to resume it; delete {CheckpointFolderOf(cell)} to train it from the start.");
                return (ran, reused, busy, deferred, stale, code);
            }
            WriteResult(cell);   // under the lock, so that no runner takes the finished cell up again
            ran++;
        }
        return (ran, reused, busy, deferred, stale, ExitCodes.Success);
    }

    /// <summary>Why a cell does not start before <paramref name="until"/>: it would not finish by then at its estimated
    /// time, or nothing alike times it; null when it fits. A machine that goes away at a known time then trains the
    /// cells that finish on it, where a cell cut short would leave only a checkpoint that goes with the machine.</summary>
    private string? Defer(Cell cell, DateTime until)
    {
        DateTime now = DateTime.UtcNow;
        if (now >= until)
        {
            return $"--until {Stamp(until)} has passed";
        }
        double? seconds = SecondsLeft(cell, Threads > 0 ? Threads : Environment.ProcessorCount);
        return seconds is null ? "no finished or started cell alike times it (run one such cell without --until to time it)"
            : now.AddSeconds(seconds.Value) > until ? $"about {HoursMinutes(seconds.Value)} (h:mm) to train, past --until {Stamp(until)}"
            : null;
    }

    private static string HoursMinutes(double seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 3600)}:{(int)(seconds % 3600 / 60):00}");

    private static string Stamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The full path of the data folder a cell trains on; null for generated data.</summary>
    private string? DataPath(Cell cell) => DataFolder(cell) is { } folder ? Path.GetFullPath(folder) : null;

    /// <summary>A JSON string value as text; null for anything else.</summary>
    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? text) ? text : null;

    /// <summary>A JSON time stamp (as results and checkpoints write them, in UTC) as a UTC time; null for anything else.</summary>
    internal static DateTime? Utc(JsonNode? node) =>
        Text(node) is { } text && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime utc) ? utc : null;

    private static JsonObject GridJson(Cell cell) => new([.. cell.Grid.Select(g => new KeyValuePair<string, JsonNode?>(g.Key, g.Value))]);

    /// <summary>An epoch of a result file: loss, time, the rate when a plateau schedule set it, the metrics at 20.</summary>
    private static JsonObject EpochResult(JsonNode e)
    {
        var epoch = new JsonObject
        {
            ["epoch"] = e["epoch"]?.DeepClone(),
            ["loss"] = e["loss"]?.DeepClone(),
            ["trainSeconds"] = e["trainSeconds"]?.DeepClone(),
        };
        if (e["lr"] is { } rate)
        {
            epoch["lr"] = rate.DeepClone();
        }
        epoch["test"] = e["test"] is null ? null : At20(e["test"]);
        epoch["validation"] = e["validation"] is null ? null : At20(e["validation"]);
        return epoch;
    }

    private static JsonObject At20(JsonNode? metrics) => metrics is null ? [] : new JsonObject
    {
        ["recall@20"] = metrics["recall@20"]?.DeepClone(),
        ["ndcg@20"] = metrics["ndcg@20"]?.DeepClone(),
    };

    private void SaveResult(Cell cell, JsonObject result) =>
        AtomicFile.WriteAllText(ResultPath(cell), result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>The cell's result from its run record: options, provenance, the curve at K = 20, and the three selections.</summary>
    private void WriteResult(Cell cell)
    {
        JsonNode record = JsonNode.Parse(File.ReadAllText(Path.Combine(RunFolder(cell), RunOutput.RecordName)))!;
        var result = new JsonObject
        {
            ["spec"] = Spec.Name,
            ["cell"] = cell.Key,
            ["smoke"] = Smoke,
            ["grid"] = GridJson(cell),
            ["options"] = new JsonObject([.. cell.Options.Select(o => new KeyValuePair<string, JsonNode?>(o.Key, o.Value ?? "true"))]),
            ["commit"] = record["commit"]?.DeepClone(),
            ["commitDirty"] = record["commitDirty"]?.DeepClone(),
            ["segments"] = record["segments"]?.DeepClone(),
            ["machine"] = record["machine"]?.DeepClone(),
            ["dataPath"] = DataPath(cell),
            ["dataFingerprint"] = record["data"]?["fingerprint"]?.DeepClone(),
            ["finishedUtc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["epochs"] = new JsonArray([.. record["epochs"]!.AsArray().Select(e => (JsonNode)EpochResult(e!))]),
            ["selections"] = new JsonArray([.. record["final"]!.AsArray().Select(f => (JsonNode)new JsonObject
            {
                ["selection"] = f!["selection"]?.DeepClone(),
                ["epoch"] = f["epoch"]?.DeepClone(),
                ["test"] = At20(f["test"]),
            })]),
        };
        SaveResult(cell, result);
    }

    /// <summary>What makes two cells the same training (as <see cref="SameTraining"/> compares them): mode, data set,
    /// data folder and every option as written.</summary>
    private string TrainingKey(Cell cell) =>
        string.Join("\n", new[] { Smoke ? "smoke" : "full", cell.Data ?? "", DataPath(cell) ?? "" }
            .Concat(cell.Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value ?? "true"}")));
}
