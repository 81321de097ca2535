using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RecLoss.Core;
using ScottPlot;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// One self-contained HTML page over every experiment's finished cells: each spec's table beside the published
/// figures, its learning curves (test Recall@20 per epoch, one figure per data set), Recall@20 and NDCG@20 against the
/// number of negatives (the MML paper's Figure 3) or another swept option (three or more values, e.g. the temperature)
/// where the grid varies them, and against the noise ratio (the BSL robustness studies) where a <c>@noise</c> label
/// does. Figures are drawn by ScottPlot, inlined as SVG, and also written as SVG and PNG files for the docs.
/// </summary>
internal static class ExperimentReport
{
    private const int Width = 760, Height = 420;

    /// <summary>Writes DIR/index.html and DIR/figures/*.svg|png; returns the page's path.</summary>
    public static string Write(IReadOnlyList<ExperimentRunner> runners, string folder)
    {
        string figures = Path.Combine(folder, "figures");
        Directory.CreateDirectory(figures);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>RecLoss experiments</title><style>");
        html.AppendLine("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-size:13px;color:#444}.note{color:#555;font-size:14px}");
        html.AppendLine("</style></head><body><h1>RecLoss experiments</h1>");
        html.AppendLine(Invariant($"<p class=\"note\">Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by <code>recloss report</code> from the result files of the finished cells. Recall@20 / NDCG@20 on the test split: <b>last</b> epoch, <b>best-validation</b> epoch where a validation split was used, and the <b>test-selected</b> epoch (optimistic: the epoch chosen on the test split, as the papers report).</p>"));
        List<(Cell Cell, JsonNode Result)>[] finished = [.. runners.Select(r => r.FinishedResults())];
        // Contents: every spec, how far it is, a link to its section.
        html.AppendLine("<ul class=\"note\">");
        for (int k = 0; k < runners.Count; k++)
        {
            ExperimentSpec spec = runners[k].Spec;
            html.AppendLine($"<li><a href=\"#{spec.Name}\">{Encode(spec.Name)}</a>: {finished[k].Count} of {runners[k].Cells.Count} cells finished. {Encode(spec.Description)}</li>");
        }
        html.AppendLine("</ul>");
        for (int k = 0; k < runners.Count; k++)
        {
            ExperimentRunner runner = runners[k];
            List<(Cell Cell, JsonNode Result)> results = finished[k];
            List<TableRow> rows = ExperimentTables.Rows(runner, results);
            List<IGrouping<string, TableRow>> rowsByData = [.. rows.GroupBy(r => r.Grid.GetValueOrDefault("data", "generated"))];
            html.AppendLine($"<h2 id=\"{runner.Spec.Name}\">{Encode(runner.Spec.Name)}</h2><p>{Encode(runner.Spec.Description)}</p>");
            html.AppendLine($"<p class=\"note\">{results.Count} of {runner.Cells.Count} cells finished (spec <code>{Encode(runner.Spec.Path)}</code>).</p>");
            if (rows.Count == 0)
            {
                continue;
            }
            html.AppendLine(Table(ExperimentTables.Markdown(runner, rows)));
            if (runner.Spec.Choose.Count > 0 && ExperimentChoice.Rows(runner, results) is { } chosen && chosen.Any(r => r.Chosen is not null))
            {
                html.AppendLine($"<p class=\"note\">{Encode(string.Join(", ", runner.Spec.Choose))} chosen per row by validation Recall@20 (the test split plays no part in the choice):</p>");
                html.AppendLine(Table(ExperimentChoice.Markdown(runner, chosen)));
            }
            html.AppendLine($"<details><summary>Provenance: each cell's binaries, times, threads and epoch time</summary>{Table(ExperimentProvenance.Markdown(results))}</details>");
            foreach (IGrouping<string, (Cell Cell, JsonNode Result)> data in results.GroupBy(r => r.Cell.Data ?? "generated"))
            {
                (Plot plot, bool cuts) = Curves(data);
                html.AppendLine(Figure(plot, figures, $"{runner.Spec.Name}-{FileName(data.Key)}-curves", $"{runner.Spec.Name}, {data.Key}: test Recall@20 by epoch"
                    + (cuts ? "; triangles: the evaluations after which the plateau schedule cut the learning rate" : "")));
            }
            foreach (string key in NumericAxes(runner.Spec.GridKeys, rows))
            {
                bool negatives = key == "negatives";
                foreach (IGrouping<string, TableRow> data in rowsByData)
                {
                    foreach (Metric metric in Metrics)
                    {
                        html.AppendLine(Figure(Against(TiedTo(data, key), metric, key, r => double.Parse(r.Grid[key], CultureInfo.InvariantCulture),
                                negatives ? "negatives per row" : key, log: negatives),
                            figures, $"{runner.Spec.Name}-{FileName(data.Key)}-{FileName(key)}{metric.FileSuffix}",
                            $"{runner.Spec.Name}, {data.Key}: last-epoch {metric.Name} against {(negatives ? "the number of negatives" : $"the {key}")} (hollow circles: the published figures the spec ties to a {(negatives ? "number of negatives" : key)})"));
                    }
                }
            }
            // Labels (other than noise, which has its own figures) name cells no number orders: one bar per cell and data set.
            if (runner.Spec.GridKeys.Any(k => k.StartsWith('@') && k != "@noise"))
            {
                foreach (IGrouping<string, TableRow> data in rowsByData)
                {
                    html.AppendLine(Figure(Bars([.. data]), figures, $"{runner.Spec.Name}-{FileName(data.Key)}-cells",
                        $"{runner.Spec.Name}, {data.Key}: test Recall@20 of each cell (the best-validation epoch where a validation split chose one, else the last)"));
                }
            }
            if (runner.Spec.GridKeys.Contains("@noise"))
            {
                // Noisy negatives as a sampling weight of the user's own items (the BSL code's r_noise): none is weight 1.
                bool weighted = runner.Cells.Any(c => c.Grid.GetValueOrDefault("@noise", "").StartsWith("neg", StringComparison.Ordinal)
                    && c.Options.ContainsKey("false-negative-weight"));
                foreach (IGrouping<string, TableRow> data in rowsByData)
                {
                    foreach (string kind in new[] { "neg", "pos" })
                    {
                        // Values "none" and KIND + a ratio, e.g. neg0.2; others are left out of these two figures.
                        var noisy = data.Where(r => r.Grid["@noise"] == "none" || r.Grid["@noise"].StartsWith(kind, StringComparison.Ordinal)
                            && double.TryParse(r.Grid["@noise"][3..], CultureInfo.InvariantCulture, out _)).ToList();
                        if (noisy.All(r => r.Grid["@noise"] == "none"))
                        {
                            continue;   // no finished cell of this kind: the noise-free points alone make no figure
                        }
                        double none = kind == "neg" && weighted ? 1 : 0;
                        string axis = kind == "pos" ? "noisy positives per true positive"
                            : weighted ? "sampling weight of the user's own items (1: uniform)" : "share of negatives that are the user's own items";
                        foreach (Metric metric in Metrics)
                        {
                            html.AppendLine(Figure(Against(noisy, metric, "@noise", r => r.Grid["@noise"] == "none" ? none : double.Parse(r.Grid["@noise"][3..], CultureInfo.InvariantCulture),
                                axis, log: false),
                                figures, $"{runner.Spec.Name}-{FileName(data.Key)}-{kind}-noise{metric.FileSuffix}",
                                $"{runner.Spec.Name}, {data.Key}: last-epoch {metric.Name} against {(kind == "neg" ? "noisy negatives" : "noisy positives")}"));
                        }
                    }
                }
            }
        }
        html.AppendLine("</body></html>");
        string path = Path.Combine(folder, "index.html");
        AtomicFile.WriteAllText(path, html.ToString());
        return path;
    }

    /// <summary>The grid's option axes a figure plots against: the number of negatives (the MML paper's Figure 3), and
    /// any other option of three or more numeric values (a sweep such as the temperature; two points make no curve).
    /// Labels (@...), the data set and the seed are not options of a curve.</summary>
    internal static IEnumerable<string> NumericAxes(IReadOnlyList<string> gridKeys, IReadOnlyList<TableRow> rows) =>
        gridKeys.Where(k => !k.StartsWith('@') && k is not ("data" or "seed")
            && rows.Count > 0 && rows.All(r => double.TryParse(r.Grid[k], CultureInfo.InvariantCulture, out _))
            && (k == "negatives" || rows.Select(r => r.Grid[k]).Distinct().Count() >= 3));

    /// <summary>The rows with only the published figures the spec ties to a value of <paramref name="key"/>: a figure
    /// given for every temperature (the paper's own, at its own setting) belongs to no point of a temperature sweep.</summary>
    internal static IEnumerable<TableRow> TiedTo(IEnumerable<TableRow> rows, string key) =>
        rows.Select(r => r.Published is { } p && !p.When.ContainsKey(key) ? r with { Published = null } : r);

    /// <summary>Test Recall@20 by epoch, one line per cell, with a triangle where a plateau schedule cut the rate after
    /// the evaluation (true when any did).</summary>
    internal static (Plot Plot, bool Cuts) Curves(IEnumerable<(Cell Cell, JsonNode Result)> cells)
    {
        var plot = new Plot();
        bool anyCut = false;
        // The seed names a line only when the figure holds more than one.
        bool seeds = cells.Select(c => c.Cell.Grid.GetValueOrDefault("seed")).Distinct().Count() > 1;
        int index = 0;
        foreach ((Cell cell, JsonNode result) in cells)
        {
            var points = result["epochs"]!.AsArray().Where(e => e!["test"] is JsonObject t && t["recall@20"] is not null)
                .Select(e => (X: e!["epoch"]!.GetValue<double>(), Y: e["test"]!["recall@20"]!.GetValue<double>())).ToArray();
            if (points.Length == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = string.Join(" ", cell.Grid.Where(g => g.Key != "data" && (seeds || g.Key != "seed")).Select(g => g.Key == "seed" ? $"seed {g.Value}" : g.Value));
            line.MarkerSize = points.Length > 30 ? 0 : 4;
            Style(line, index++);
            foreach (double epoch in CutEpochs(result))
            {
                if (points.FirstOrDefault(p => p.X == epoch) is { X: > 0 } at)
                {
                    plot.Add.Marker(at.X, at.Y, MarkerShape.FilledTriangleDown, 9, line.Color);
                    anyCut = true;
                }
            }
        }
        plot.XLabel("epoch");
        plot.YLabel("test Recall@20");
        ShowLegendIfNamed(plot);   // beside the data: twelve lines fill a corner's legend over the curves
        return (plot, anyCut);
    }

    /// <summary>A legend on the right when some plottable (a line or a published marker) has a name: a figure of one
    /// cell per data set names none, and a legend of no named item fails ScottPlot's render (a blank figure).</summary>
    private static void ShowLegendIfNamed(Plot plot)
    {
        if (plot.GetPlottables().OfType<IHasLegendText>().Any(p => !string.IsNullOrEmpty(p.LegendText)))
        {
            plot.ShowLegend(Edge.Right);
        }
    }

    /// <summary>The epochs after which the rate fell: each epoch whose successor trained at a lower rate ("lr", written
    /// only for cells with a plateau schedule). A fall of a rounding error is no cut: 1e-4 x 0.1 x 0.1 is one ulp above
    /// the floor 1e-6, which the next stall then reaches.</summary>
    internal static IEnumerable<double> CutEpochs(JsonNode result)
    {
        JsonNode?[] epochs = [.. result["epochs"]!.AsArray().Where(e => e!["lr"] is not null)];
        for (int i = 1; i < epochs.Length; i++)
        {
            if (epochs[i]!["lr"]!.GetValue<double>() < epochs[i - 1]!["lr"]!.GetValue<double>() * (1 - 1e-9))
            {
                yield return epochs[i - 1]!["epoch"]!.GetValue<double>();
            }
        }
    }

    /// <summary>Line colours: Category10, then four strong ones it lacks (Table 3's figures have twelve lines; Category20
    /// pales every other line, and Skia's SVG writer drops dash patterns).</summary>
    private static readonly Color[] Colours =
        [.. new ScottPlot.Palettes.Category10().Colors, .. new[] { "#000000", "#b8860b", "#000080", "#ff00ff" }.Select(Color.FromHex)];

    internal static void Style(ScottPlot.Plottables.Scatter line, int index) => line.Color = Colours[index % Colours.Length];

    /// <summary>A metric of the figures against a grid value: its name, its value in a row and in a published figure,
    /// and the suffix of its files (none for Recall@20, whose file names the docs already link).</summary>
    internal sealed record Metric(string Name, Func<Stat, double> Of, Func<Published, double?> PublishedOf, string FileSuffix);

    /// <summary>Both metrics of the papers' figures: Recall@20 and NDCG@20 (on Gowalla they rank the losses differently).</summary>
    internal static readonly Metric[] Metrics =
        [new("Recall@20", s => s.Recall, p => p.Recall, ""), new("NDCG@20", s => s.Ndcg, p => p.Ndcg, "-ndcg")];

    /// <summary>A last-epoch metric against a numeric grid value, one line per combination of the other grid values, and
    /// the published figures where the spec gives them.</summary>
    internal static Plot Against(IEnumerable<TableRow> rows, Metric metric, string key, Func<TableRow, double> x, string label, bool log)
    {
        var plot = new Plot();
        double X(double v) => log ? Math.Log10(v) : v;
        var series = rows.GroupBy(r => string.Join(" ", r.Grid.Where(g => g.Key is not "data" && g.Key != key).Select(g => g.Value)))
            .Select(s => (s.Key, Rows: s.ToArray(),
                Published: s.Where(r => r.Published is not null && metric.PublishedOf(r.Published) is not null)
                    .Select(r => (X: X(x(r)), Y: metric.PublishedOf(r.Published!)!.Value)).OrderBy(p => p.X).ToArray()))
            .ToArray();
        // One published figure per grid value, whatever the series (e.g. a paper's tuned run beside each temperature
        // tried): drawn once, in black, not once per series on top of each other.
        bool shared = series.Length > 1 && series.All(s => s.Published.Length > 0 && s.Published.SequenceEqual(series[0].Published));
        int index = 0;
        foreach (var s in series)
        {
            var points = s.Rows.Select(r => (X: X(x(r)), Y: metric.Of(r.Last))).OrderBy(p => p.X).ToArray();
            var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = s.Key;
            Style(line, index++);
            if (!shared)
            {
                AddPublished(plot, s.Published, line.Color, s.Key.Length == 0 ? "published" : $"{s.Key}: published");
            }
        }
        if (shared)
        {
            AddPublished(plot, series[0].Published, Colors.Black, "published");
        }
        if (log)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [.. new[] { 10.0, 50, 100, 200, 400, 800 }.Select(v => new Tick(Math.Log10(v), v.ToString(CultureInfo.InvariantCulture)))]);
        }
        plot.XLabel(label);
        plot.YLabel($"test {metric.Name} (last epoch)");
        ShowLegendIfNamed(plot);   // outside the data: the points can sit anywhere
        return plot;
    }

    /// <summary>Published figures as hollow circles of one colour, named once in the legend.</summary>
    private static void AddPublished(Plot plot, IEnumerable<(double X, double Y)> points, Color colour, string name)
    {
        bool named = false;
        foreach ((double px, double py) in points)
        {
            plot.Add.Marker(px, py, MarkerShape.OpenCircle, 11, colour).LegendText = named ? "" : name;
            named = true;
        }
    }

    /// <summary>Recall@20 of each row as a horizontal bar (the first at the top), named by its grid values on the left
    /// axis, where long names cannot overlap: at the best-validation epoch where early stopping on a validation split
    /// chose one (its honest figure; its last epoch is only where it stopped), else the last.</summary>
    internal static Plot Bars(IReadOnlyList<TableRow> rows)
    {
        var plot = new Plot();
        Bar[] bars = [.. rows.Select((r, i) =>
        {
            Stat shown = r.BestValidation ?? r.Last;
            return new Bar { Position = rows.Count - 1 - i, Value = shown.Recall, Error = shown.RecallSpread };
        })];
        plot.Add.Bars(bars).Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. rows.Select((r, i) => new Tick(rows.Count - 1 - i, string.Join(" ", r.Grid.Where(g => g.Key != "data").Select(g => g.Value))))]);
        plot.Axes.Margins(left: 0);
        plot.XLabel("test Recall@20");   // the tick labels name the cells; the caption says which epoch
        return plot;
    }

    /// <summary>Saves the plot as SVG and PNG and returns an HTML figure with the SVG inline.</summary>
    private static string Figure(Plot plot, string folder, string name, string caption)
    {
        plot.SaveSvg(Path.Combine(folder, name + ".svg"), Width, Height);
        plot.SavePng(Path.Combine(folder, name + ".png"), Width, Height);
        string svg = plot.GetSvgXml(Width, Height);
        return $"<figure>{svg}<figcaption>{Encode(caption)} (<a href=\"figures/{name}.svg\">SVG</a>, <a href=\"figures/{name}.png\">PNG</a>)</figcaption></figure>";
    }

    /// <summary>An HTML table from a Markdown table (the same text as table.md or provenance.md); lines after it that
    /// are not table rows (provenance.md's notes) become paragraphs.</summary>
    private static string Table(string markdown)
    {
        string[] all = markdown.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] lines = [.. all.Where(l => l.StartsWith('|') && !l.StartsWith("|---", StringComparison.Ordinal))];
        string notes = string.Concat(all.Where(l => !l.StartsWith('|')).Select(l => $"<p class=\"note\">{Encode(l)}</p>"));
        var o = new StringBuilder("<table>");
        for (int i = 0; i < lines.Length; i++)
        {
            string tag = i == 0 ? "th" : "td";
            o.Append("<tr>");
            foreach (string cell in lines[i].Trim().Trim('|').Split('|'))
            {
                o.Append($"<{tag}>{Encode(cell.Trim())}</{tag}>");
            }
            o.Append("</tr>");
        }
        return o.Append("</table>").Append(notes).ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A name as a file name: letters, digits, '.', '-' and '_' kept, anything else '-'.</summary>
    private static string FileName(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-')]);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
