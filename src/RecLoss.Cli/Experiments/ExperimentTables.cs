using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecLoss.Core;

namespace RecLoss.Cli.Experiments;

/// <summary>One row of an experiment's table: a cell over its seeds.</summary>
/// <param name="Last">Mean and spread (sample standard deviation) over seeds of (Recall@20, NDCG@20), last epoch.</param>
/// <param name="BestValidation">The same at the best-validation epoch, when the cells had a validation split.</param>
/// <param name="TestSelected">The same at the best epoch by test Recall@20: optimistic, the papers' protocol.</param>
internal sealed record TableRow(IReadOnlyDictionary<string, string> Grid, int Seeds, int Epochs, Stat Last, Stat? BestValidation, Stat TestSelected, Published? Published);

/// <summary>Mean and spread over seeds of Recall@20 and NDCG@20.</summary>
internal sealed record Stat(double Recall, double RecallSpread, double Ndcg, double NdcgSpread)
{
    public static Stat Of(IReadOnlyList<(double Recall, double Ndcg)> values)
    {
        static double Spread(IReadOnlyList<double> x) => x.Count < 2 ? 0 : Math.Sqrt(x.Sum(v => (v - x.Average()) * (v - x.Average())) / (x.Count - 1));
        double[] r = [.. values.Select(v => v.Recall)], n = [.. values.Select(v => v.Ndcg)];
        return new Stat(r.Average(), Spread(r), n.Average(), Spread(n));
    }
}

/// <summary>The finished cells of an experiment as one table (Markdown, CSV, JSON), the published figures beside them.</summary>
internal static class ExperimentTables
{
    public static List<TableRow> Rows(ExperimentRunner runner) => Rows(runner, runner.FinishedResults());

    /// <summary>The table's rows from the finished cells' results, grouped over seeds.</summary>
    public static List<TableRow> Rows(ExperimentRunner runner, IEnumerable<(Cell Cell, JsonNode Result)> finished)
    {
        var groups = new Dictionary<string, (Dictionary<string, string> Grid, List<JsonNode> Results)>(StringComparer.Ordinal);
        foreach ((Cell cell, JsonNode result) in finished)
        {
            var grid = cell.Grid.Where(g => g.Key != "seed").ToDictionary(g => g.Key, g => g.Value, StringComparer.Ordinal);
            string key = string.Join("|", grid.Select(g => $"{g.Key}={g.Value}"));
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = (grid, []);
            }
            group.Results.Add(result);
        }
        return [.. groups.Values.Select(g => new TableRow(g.Grid, g.Results.Count, g.Results.Max(r => r["epochs"]!.AsArray().Count),
            Stat.Of([.. g.Results.Select(r => Selection(r, "last")!.Value)]),
            g.Results.All(r => Selection(r, "best-validation") is not null) ? Stat.Of([.. g.Results.Select(r => Selection(r, "best-validation")!.Value)]) : null,
            Stat.Of([.. g.Results.Select(r => Selection(r, "best-test")!.Value)]),
            runner.Spec.PublishedFor(g.Grid)))];
    }

    /// <summary>The result's selection whose label starts with <paramref name="prefix"/> ("last", "best-validation", ...).</summary>
    internal static JsonNode? SelectionNode(JsonNode result, string prefix) =>
        result["selections"]!.AsArray().FirstOrDefault(x => x!["selection"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal));

    internal static (double, double)? Selection(JsonNode result, string prefix) =>
        SelectionNode(result, prefix) is { } s && s["test"]?["recall@20"] is { } r ? (r.GetValue<double>(), s["test"]!["ndcg@20"]!.GetValue<double>()) : null;

    /// <summary>(measured - published) / published, as a percentage.</summary>
    public static double? Difference(double measured, double? published) => published is > 0 ? 100 * (measured - published.Value) / published.Value : null;

    public static string Markdown(ExperimentRunner runner, IReadOnlyList<TableRow> rows)
    {
        var keys = runner.Spec.GridKeys.Where(k => k != "seed").ToArray();
        var o = new StringBuilder();
        o.AppendLine(Invariant($"| {string.Join(" | ", keys)} | seeds | epochs | last R@20 / N@20 | best-validation R@20 / N@20 | test-selected R@20 / N@20 (optimistic) | published R@20 / N@20 | last vs published R / N | test-selected vs published R / N |"));
        o.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", keys.Length + 8)));
        foreach (TableRow r in rows)
        {
            o.AppendLine(Invariant($"| {string.Join(" | ", keys.Select(k => r.Grid.GetValueOrDefault(k, "")))} | {r.Seeds} | {r.Epochs} | {Cell(r.Last)} | {(r.BestValidation is null ? "-" : Cell(r.BestValidation))} | {Cell(r.TestSelected)} | {PublishedCell(r.Published)} | {Diff(r.Last, r.Published)} | {Diff(r.TestSelected, r.Published)} |"));
        }
        return o.ToString();
    }

    /// <summary>Every figure unrounded; the columns of earlier versions first, in their order, so old readers still work.</summary>
    public static string Csv(ExperimentRunner runner, IReadOnlyList<TableRow> rows)
    {
        var keys = runner.Spec.GridKeys.Where(k => k != "seed").ToArray();
        var o = new StringBuilder();
        o.AppendLine(string.Join(",", [.. keys, "seeds", "epochs", "last_recall20", "last_recall20_sd", "last_ndcg20", "last_ndcg20_sd",
            "bestval_recall20", "bestval_ndcg20", "testsel_recall20", "testsel_ndcg20", "published_recall20", "published_ndcg20", "last_vs_published_recall_pct",
            "last_vs_published_ndcg_pct", .. SpreadAndDifferenceNames("bestval"), .. SpreadAndDifferenceNames("testsel")]));
        foreach (TableRow r in rows)
        {
            Published? p = r.Published;
            o.AppendLine(string.Join(",", [.. keys.Select(k => r.Grid.GetValueOrDefault(k, "")), Invariant($"{r.Seeds}"), Invariant($"{r.Epochs}"),
                F(r.Last.Recall), F(r.Last.RecallSpread), F(r.Last.Ndcg), F(r.Last.NdcgSpread),
                F(r.BestValidation?.Recall), F(r.BestValidation?.Ndcg), F(r.TestSelected.Recall), F(r.TestSelected.Ndcg),
                F(p?.Recall), F(p?.Ndcg), F(Difference(r.Last.Recall, p?.Recall)),
                F(Difference(r.Last.Ndcg, p?.Ndcg)), .. SpreadAndDifference(r.BestValidation, p), .. SpreadAndDifference(r.TestSelected, p)]));
        }
        return o.ToString();
    }

    private static string[] SpreadAndDifferenceNames(string selection) =>
        [$"{selection}_recall20_sd", $"{selection}_ndcg20_sd", $"{selection}_vs_published_recall_pct", $"{selection}_vs_published_ndcg_pct"];

    /// <summary>A selection's spreads over seeds and its differences from the published figures (empty without one).</summary>
    private static string[] SpreadAndDifference(Stat? s, Published? p) => s is null ? ["", "", "", ""] :
        [F(s.RecallSpread), F(s.NdcgSpread), F(Difference(s.Recall, p?.Recall)), F(Difference(s.Ndcg, p?.Ndcg))];

    public static string Json<T>(IReadOnlyList<T> rows) => JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });

    /// <summary>Writes table.md, table.csv, table.json and provenance.md into the results folder, and for a spec that
    /// chooses by validation table-chosen.md and table-chosen.json; returns the tables' Markdown.</summary>
    public static string Write(ExperimentRunner runner)
    {
        List<(Cell Cell, JsonNode Result)> finished = runner.FinishedResults();
        List<TableRow> rows = Rows(runner, finished);
        string markdown = Markdown(runner, rows);
        Directory.CreateDirectory(runner.ResultsFolder);
        foreach ((string name, string text) in new[] { ("table.md", markdown), ("table.csv", Csv(runner, rows)), ("table.json", Json(rows)),
            (ExperimentProvenance.FileName, ExperimentProvenance.Markdown(finished)) })
        {
            AtomicFile.WriteAllText(Path.Combine(runner.ResultsFolder, name), text);
        }
        if (runner.Spec.Choose.Count == 0)
        {
            return markdown;
        }
        List<ChosenRow> chosen = ExperimentChoice.Rows(runner, finished);
        string chosenMarkdown = ExperimentChoice.Markdown(runner, chosen);
        AtomicFile.WriteAllText(Path.Combine(runner.ResultsFolder, ExperimentChoice.FileName), chosenMarkdown);
        AtomicFile.WriteAllText(Path.Combine(runner.ResultsFolder, Path.ChangeExtension(ExperimentChoice.FileName, ".json")), Json(chosen));
        return markdown + $"\n{string.Join(", ", runner.Spec.Choose)} chosen per row by validation Recall@20 ({ExperimentChoice.FileName}):\n\n" + chosenMarkdown;
    }

    internal static string Cell(Stat s) => s.RecallSpread > 0 || s.NdcgSpread > 0
        ? Invariant($"{s.Recall:F4} ± {s.RecallSpread:F4} / {s.Ndcg:F4} ± {s.NdcgSpread:F4}")
        : Invariant($"{s.Recall:F4} / {s.Ndcg:F4}");

    internal static string PublishedCell(Published? p) => p is null ? "-" : Invariant($"{F4(p.Recall)} / {F4(p.Ndcg)}{(p.Source.Length > 0 ? $" ({p.Source})" : "")}");

    internal static string Diff(Stat s, Published? p) =>
        p is null ? "-" : $"{Pct(Difference(s.Recall, p.Recall))} / {Pct(Difference(s.Ndcg, p.Ndcg))}";

    private static string Pct(double? d) => d is { } v ? Invariant($"{v:+0.0;-0.0}%") : "-";

    private static string F4(double? v) => v is { } x ? Invariant($"{x:F4}") : "-";

    private static string F(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
