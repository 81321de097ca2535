using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Experiments;

/// <summary>Taking another spec's finished result for a cell whose training it already is.</summary>
/// <remarks>
/// Evaluation changes no parameter and draws no random number, so a run evaluated every M epochs trains what one
/// evaluated every N = k M epochs trains: without early stopping (whose patience counts evaluations) such a cell takes
/// the source's result with the evaluations it would not have made removed and its selections made again. One caveat:
/// dense Adam's catch-up before an evaluation also refreshes the idle rows' L2 term of the clipping norm
/// (<c>ReplayAdamOptimizer</c>), below 1e-15 of a clipped norm at the reference lambda, so a clip factor could in
/// principle differ in its last bit; checkpoints, at the runner's own cadence, do the same to identical reuse.
/// </remarks>
internal sealed partial class ExperimentRunner
{
    /// <summary>Whether a cell whose training another spec has already finished takes that result instead of training.</summary>
    public bool Reuse { get; init; } = true;

    /// <summary>A finished result of another spec that a cell may take: its file and name, and what it trained.</summary>
    private sealed record ReuseSource(string File, string Name, bool Smoke, string? Data, string? DataPath, JsonObject Options, JsonObject Result);

    /// <summary>A source for a cell: identical, or (<paramref name="KeepEvery"/> set) the same training evaluated more
    /// often, of whose evaluations the cell keeps those every <paramref name="KeepEvery"/> epochs and the last.</summary>
    private sealed record ReuseMatch(ReuseSource Source, int? KeepEvery, int SourceEvery = 0)
    {
        public string Name => Source.Name;

        public string How => KeepEvery is { } every
            ? $"the same data and options, evaluated every {SourceEvery} epoch{(SourceEvery == 1 ? "" : "s")}: its evaluations every {every} epochs and the last kept"
            : "identical data and options";
    }

    /// <summary>The other specs' finished results that are their own training (not themselves reused): the published
    /// ones in experiments/results/SPEC/, or with --smoke those in experiments/runs/SPEC-smoke/results/. Files that
    /// are not readable cell results (a table, a file being written) are skipped.</summary>
    private List<ReuseSource> ReuseSources()
    {
        string specs = Path.GetDirectoryName(Smoke ? RunsFolder : ResultsFolder)!;
        IEnumerable<string> folders = !Directory.Exists(specs) ? []
            : Directory.GetDirectories(specs).Select(d => Smoke ? Path.Combine(d, "results") : d);
        var sources = new List<ReuseSource>();
        foreach (string folder in folders.Where(Directory.Exists).Order(StringComparer.Ordinal))
        {
            if (Path.GetFullPath(folder) == Path.GetFullPath(ResultsFolder))
            {
                continue;
            }
            foreach (string file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                try
                {
                    if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject r && r["options"] is JsonObject options
                        && r["epochs"] is JsonArray && r["reusedFrom"] is null
                        && r["smoke"] is JsonValue smoke && smoke.TryGetValue(out bool isSmoke) && r["grid"] is JsonObject grid)
                    {
                        sources.Add(new ReuseSource(file, $"{Text(r["spec"])}/{Text(r["cell"])}", isSmoke, Text(grid["data"]), Text(r["dataPath"]), options, r));
                    }
                }
                catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    // Not a readable cell result: not a source.
                }
            }
        }
        return sources;
    }

    /// <summary>The source that trained exactly this cell: the same smoke mode, the same data folder (its full path)
    /// and the same train options, compared as written (so "1e-8" and "1e-08" differ: a miss trains, never a wrong
    /// reuse); failing that, one that differs only in evaluating more often (see the remarks).</summary>
    private ReuseMatch? SameTraining(Cell cell, IReadOnlyList<ReuseSource> sources)
    {
        var wanted = cell.Options.ToDictionary(o => o.Key, o => o.Value ?? "true", StringComparer.Ordinal);
        string? dataPath = DataPath(cell);
        List<ReuseSource> alike = [.. sources.Where(r => r.Smoke == Smoke && r.Data == cell.Data && r.DataPath == dataPath)];
        if (alike.FirstOrDefault(r => SameOptions(wanted, r.Options, except: null)) is { } same)
        {
            return new ReuseMatch(same, null);
        }
        int? every = EvaluateEvery(wanted);
        if (every is not { } cellEvery || wanted.ContainsKey("patience") || wanted.ContainsKey("plateau-factor") || wanted.ContainsKey("select-metric") || (wanted.TryGetValue("select-k", out string? k) && k != "20"))
        {
            return null;
        }
        foreach (ReuseSource r in alike)
        {
            var options = r.Options.ToDictionary(o => o.Key, o => Text(o.Value) ?? "", StringComparer.Ordinal);
            if (EvaluateEvery(options) is { } sourceEvery && sourceEvery < cellEvery && cellEvery % sourceEvery == 0
                && SameOptions(wanted, r.Options, except: "eval-every"))
            {
                return new ReuseMatch(r, cellEvery, sourceEvery);
            }
        }
        return null;
    }

    private static bool SameOptions(Dictionary<string, string> wanted, JsonObject source, string? except) =>
        wanted.Keys.Where(k => k != except).Count() == source.Count(o => o.Key != except)
        && wanted.Where(w => w.Key != except).All(w => Text(source[w.Key]) == w.Value);

    /// <summary>The epochs between evaluations that options give (train's default when absent); null if unreadable.</summary>
    private static int? EvaluateEvery(Dictionary<string, string> options) =>
        !options.TryGetValue("eval-every", out string? text) ? TrainerOptions.Defaults.EvaluateEvery
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

    /// <summary>Writes a cell's result as a copy of another spec's result file, under this spec's and cell's names.</summary>
    private void CopyResult(Cell cell, ReuseMatch match)
    {
        var result = (JsonObject)JsonNode.Parse(File.ReadAllText(match.Source.File))!;
        result["spec"] = Spec.Name;
        result["cell"] = cell.Key;
        result["grid"] = GridJson(cell);
        result["reusedFrom"] = match.Name;
        if (match.KeepEvery is { } every)
        {
            result["options"] = new JsonObject([.. cell.Options.Select(o => new KeyValuePair<string, JsonNode?>(o.Key, o.Value ?? "true"))]);
            result["reusedEvaluations"] = $"every {every} epochs and the last, of the source's every {match.SourceEvery}";
            result["selections"] = KeepEvaluations(result["epochs"]!.AsArray(), every);
        }
        SaveResult(cell, result);
    }

    /// <summary>Removes the evaluations of the epochs a run evaluating every <paramref name="every"/> epochs would not
    /// have made (it evaluates those and the last) and returns the selections such a run makes: last, best validation
    /// (when there is one), best test, each the first epoch with the highest Recall@20, as the trainer chooses.</summary>
    internal static JsonArray KeepEvaluations(JsonArray epochs, int every)
    {
        int last = (int)epochs[^1]!["epoch"]!;
        foreach (JsonNode? e in epochs)
        {
            int epoch = (int)e!["epoch"]!;
            if (epoch % every != 0 && epoch != last)
            {
                e["test"] = null;
                e["validation"] = null;
            }
        }
        var selections = new JsonArray { Selection("last", epochs[^1]!) };
        foreach ((string split, string label) in new[] { ("validation", "best-validation"), ("test", "best-test (test-selected: optimistic)") })
        {
            JsonNode? best = epochs.Where(e => e![split] is JsonObject).MaxBy(e => Recall(e![split]!));
            if (best is not null)
            {
                selections.Add(Selection(label, best));
            }
        }
        return selections;

        // A metric the file does not hold as a number (no users to rank) never wins, as NaN never wins the trainer's.
        static double Recall(JsonNode metrics) =>
            metrics["recall@20"] is JsonValue v && v.TryGetValue(out double recall) && !double.IsNaN(recall) ? recall : double.NegativeInfinity;

        static JsonObject Selection(string label, JsonNode epoch) => new()
        {
            ["selection"] = label,
            ["epoch"] = epoch["epoch"]!.DeepClone(),
            ["test"] = epoch["test"]?.DeepClone() ?? new JsonObject(),
        };
    }
}
