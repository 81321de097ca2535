using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace RecLoss.Cli.Experiments;

/// <summary>One value of the chosen keys in a row: its mean validation Recall@20 at the best-validation epoch over its
/// seeds.</summary>
internal sealed record Candidate(string Value, double ValidationRecall, int Seeds);

/// <summary>One row of the chosen table: the cells alike but for the spec's choose keys, and the candidate picked.</summary>
/// <param name="Grid">The row's grid values, the choose keys and seed left out.</param>
/// <param name="Chosen">The choose keys' values picked ("0.10"; "0.10, 800" for two keys); null while no candidate
/// of the row has finished.</param>
/// <param name="Unfinished">Candidates of the row not finished on every seed: the choice may still change.</param>
/// <param name="Unusable">Candidates finished without a validation or test figure at the best-validation epoch (a
/// result from before the spec chose): they take no part.</param>
/// <param name="BestValidation">Test Recall@20 / NDCG@20 of the chosen candidate at its best-validation epoch.</param>
/// <param name="Published">The row's published figure (an entry naming no choose key: the paper's tuned figure
/// belongs to the row, whatever value wins here).</param>
internal sealed record ChosenRow(IReadOnlyDictionary<string, string> Grid, string? Chosen, IReadOnlyList<Candidate> Candidates, int Unfinished,
    int Unusable, int Seeds, int Epochs, Stat? BestValidation, Stat? Last, Published? Published);

/// <summary>
/// The honest form of a paper's per-setting grid search: for each combination of the other grid values, the value of
/// the spec's <c>choose</c> keys with the best validation Recall@20 (mean over seeds, at each cell's best-validation
/// epoch; the first in grid order on a tie), reported by its test figures. The test split plays no part in the choice.
/// </summary>
internal static class ExperimentChoice
{
    public const string FileName = "table-chosen.md";

    public static List<ChosenRow> Rows(ExperimentRunner runner, IEnumerable<(Cell Cell, JsonNode Result)> finished)
    {
        IReadOnlyList<string> choose = runner.Spec.Choose;
        string Others(Cell c) => string.Join("|", c.Grid.Where(g => g.Key != "seed" && !choose.Contains(g.Key)).Select(g => $"{g.Key}={g.Value}"));
        string ValueOf(Cell c) => string.Join(", ", choose.Select(k => c.Grid[k]));
        var results = finished.ToLookup(f => (Others(f.Cell), ValueOf(f.Cell)), f => (f.Cell, f.Result));
        var rows = new List<ChosenRow>();
        foreach (IGrouping<string, Cell> row in runner.Cells.GroupBy(Others, StringComparer.Ordinal))
        {
            var candidates = new List<(Candidate Candidate, List<JsonNode> Results, Cell Cell)>();
            int unfinished = 0, unusable = 0;
            foreach (IGrouping<string, Cell> value in row.GroupBy(ValueOf, StringComparer.Ordinal))
            {
                List<(Cell Cell, JsonNode Result)> done = [.. results[(row.Key, value.Key)]];
                double[] validation = [.. done.Select(d => ValidationRecall(d.Result)).OfType<double>()];
                if (done.Count < value.Count())
                {
                    unfinished++;
                }
                else if (validation.Length < done.Count || done.Any(d => ExperimentTables.Selection(d.Result, "best-validation") is null
                    || ExperimentTables.Selection(d.Result, "last") is null))
                {
                    unusable++;
                }
                else
                {
                    candidates.Add((new Candidate(value.Key, validation.Average(), done.Count), [.. done.Select(d => d.Result)], done[0].Cell));
                }
            }
            var grid = row.First().Grid.Where(g => g.Key != "seed" && !choose.Contains(g.Key)).ToDictionary(g => g.Key, g => g.Value, StringComparer.Ordinal);
            Published? published = runner.Spec.PublishedFor(grid);
            if (candidates.Count == 0)
            {
                rows.Add(new ChosenRow(grid, null, [], unfinished, unusable, 0, 0, null, null, published));
                continue;
            }
            var best = candidates.Aggregate((a, b) => b.Candidate.ValidationRecall > a.Candidate.ValidationRecall ? b : a);
            rows.Add(new ChosenRow(grid, best.Candidate.Value, [.. candidates.Select(c => c.Candidate)], unfinished, unusable, best.Results.Count,
                best.Results.Max(r => r["epochs"]!.AsArray().Count),
                Stat.Of([.. best.Results.Select(r => ExperimentTables.Selection(r, "best-validation")!.Value)]),
                Stat.Of([.. best.Results.Select(r => ExperimentTables.Selection(r, "last")!.Value)]),
                published));
        }
        return rows;
    }

    /// <summary>Validation Recall@20 at the best-validation epoch; null for a result without a validation split.</summary>
    private static double? ValidationRecall(JsonNode result)
    {
        int epoch = ExperimentTables.SelectionNode(result, "best-validation")?["epoch"]?.GetValue<int>() ?? 0;
        JsonNode? row = result["epochs"]!.AsArray().FirstOrDefault(e => e!["epoch"]!.GetValue<int>() == epoch);
        return row?["validation"]?["recall@20"]?.GetValue<double>();
    }

    public static string Markdown(ExperimentRunner runner, IReadOnlyList<ChosenRow> rows)
    {
        IReadOnlyList<string> choose = runner.Spec.Choose;
        string[] others = [.. runner.Spec.GridKeys.Where(k => k != "seed" && !choose.Contains(k))];
        var o = new StringBuilder();
        o.AppendLine(Invariant($"| {string.Join(" | ", others)} | {string.Join(", ", choose)} chosen on validation | candidates: validation R@20 | seeds | epochs | best-validation R@20 / N@20 | last R@20 / N@20 | published R@20 / N@20 | best-validation vs published R / N |"));
        o.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", others.Length + 8)));
        foreach (ChosenRow r in rows)
        {
            string[] notes = [.. new[] { r.Unfinished > 0 ? $"{r.Unfinished} not finished" : null, r.Unusable > 0 ? $"{r.Unusable} without validation figures" : null }.OfType<string>()];
            string candidates = string.Join(", ", r.Candidates.Select(c => Invariant($"{c.Value}: {c.ValidationRecall:F4}")))
                + (notes.Length > 0 ? $"{(r.Candidates.Count > 0 ? " " : "")}({string.Join(", ", notes)})" : "");
            string chosen = r.BestValidation is { } b ? ExperimentTables.Cell(b) : "-", last = r.Last is { } l ? ExperimentTables.Cell(l) : "-";
            string diff = r.BestValidation is { } v ? ExperimentTables.Diff(v, r.Published) : "-";
            o.AppendLine(Invariant($"| {string.Join(" | ", others.Select(k => r.Grid.GetValueOrDefault(k, "")))} | {r.Chosen ?? "-"} | {candidates} | {r.Seeds} | {r.Epochs} | {chosen} | {last} | {ExperimentTables.PublishedCell(r.Published)} | {diff} |"));
        }
        return o.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
