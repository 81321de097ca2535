using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace RecLoss.Cli.Experiments;

/// <summary>Where each finished cell's figures come from, read from its result file: when it trained, which binaries
/// trained which epochs (a resumed cell has several), on how many threads, its median epoch time, and the cell it
/// reused. The docs quote this table rather than retelling each cell's run by hand.</summary>
internal static class ExperimentProvenance
{
    public const string FileName = "provenance.md";

    public static string Markdown(IEnumerable<(Cell Cell, JsonNode Result)> finished)
    {
        var rows = new List<(string Text, string Machine)>();
        bool dirty = false, finishing = false;
        foreach ((Cell cell, JsonNode result) in finished)
        {
            JsonArray epochs = result["epochs"]!.AsArray();
            string machine = ExperimentRunner.Text(result["machine"]) ?? "-";
            if (ExperimentRunner.Text(result["reusedFrom"]) is { } source)
            {
                rows.Add((Invariant($"| {cell.Key} | {epochs.Count} | reused: {source} | - | - | -"), machine));
                continue;
            }
            JsonArray segments = result["segments"] as JsonArray ?? [];
            string binaries = segments.Count == 0
                ? Binary(result["commit"], result["commitDirty"]) + " (finishing)"
                : string.Join(", ", segments.Select(s => Invariant($"{Binary(s?["commit"], s?["dirty"])} ({(s?["firstEpoch"] is JsonValue f && f.TryGetValue(out int first) ? first : 1)})")));
            dirty |= segments.Count == 0 ? Dirty(result["commitDirty"]) : segments.Any(s => Dirty(s?["dirty"]));
            finishing |= segments.Count == 0;
            // A segment from before thread counts were recorded shows "?", so a known count never stands for it.
            string threads = string.Join(", ", segments.Select(s => EpochTimes.Threads(s)?.ToString(CultureInfo.InvariantCulture) ?? "?").Distinct().Order(StringComparer.Ordinal));
            double? seconds = EpochTimes.MedianTrainSeconds(epochs);
            rows.Add((Invariant($"| {cell.Key} | {epochs.Count} | {Trained(segments, result["finishedUtc"])} | {binaries} | {(threads.Length > 0 ? threads : "-")} | {(seconds is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) : "-")}"), machine));
        }
        // One machine for every cell (the usual case) is said once, below the table, not in a column of repeats.
        bool oneMachine = rows.Select(r => r.Machine).Distinct().Count() <= 1;
        var o = new StringBuilder();
        o.AppendLine("| cell | epochs | trained (UTC) | binary (from epoch) | threads | s per epoch (median, all epochs) |" + (oneMachine ? "" : " machine |"));
        o.AppendLine("|---|---|---|---|---|---|" + (oneMachine ? "" : "---|"));
        foreach ((string text, string machine) in rows)
        {
            o.AppendLine(text + (oneMachine ? " |" : $" | {machine} |"));
        }
        if (oneMachine && rows.Count > 0 && rows[0].Machine != "-")
        {
            o.AppendLine();
            o.AppendLine($"Machine, every cell: {rows[0].Machine}.");
        }
        if (finishing)
        {
            o.AppendLine();
            o.AppendLine("finishing: a result written before segments were recorded names only the binary that finished it.");
        }
        if (dirty)
        {
            o.AppendLine();
            o.AppendLine("dirty: built from that commit with uncommitted changes (the result names them so).");
        }
        return o.ToString();
    }

    /// <summary>The first segment's start to the finish, as "yyyy-MM-dd HH:mm to HH:mm" (the date again when it changed);
    /// "finished ..." alone when a segment lacks its start (a checkpoint from before starts were recorded).</summary>
    private static string Trained(JsonArray segments, JsonNode? finishedUtc)
    {
        DateTime?[] starts = [.. segments.Select(s => ExperimentRunner.Utc(s?["startedUtc"]))];
        DateTime? start = starts.Length > 0 && starts.All(t => t is not null) ? starts.Min() : null;
        DateTime? end = ExperimentRunner.Utc(finishedUtc);
        return (start, end) switch
        {
            ({ } a, { } b) => $"{Stamp(a)} to {(a.Date == b.Date ? b.ToString("HH:mm", CultureInfo.InvariantCulture) : Stamp(b))}",
            (null, { } b) => $"finished {Stamp(b)}",
            _ => "-",
        };
    }

    private static string Stamp(DateTime t) => t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Binary(JsonNode? commit, JsonNode? dirty)
    {
        string hash = ExperimentRunner.Text(commit) is { Length: > 0 } c ? c[..Math.Min(7, c.Length)] : "unknown";
        return Dirty(dirty) ? hash + " dirty" : hash;
    }

    private static bool Dirty(JsonNode? flag) => flag is JsonValue v && v.TryGetValue(out bool d) && d;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
