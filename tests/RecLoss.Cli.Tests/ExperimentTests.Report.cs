using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

/// <summary>`recloss report`: the tables and figures of finished cells.</summary>
public partial class ExperimentTests
{
    /// <summary>Runs the spec's smoke cells, then the report of them; returns the report folder and its output.</summary>
    private (string Report, string Output) SmokeReport(string path)
    {
        Assert.Equal(0, RunSmoke(path).Code);
        string report = Path.Combine(Folder, "report");
        var (code, output, err) = Cli.Run("report", path, "--smoke", "--experiments", Folder, "--out", report);
        Assert.True(code == 0, err);
        return (report, output);
    }

    [Fact]
    public void A_weighted_noise_spec_is_plotted_against_the_sampling_weight()
    {
        string path = Spec("name: weighted\nbase: {epochs: 1}\ngrid:\n  loss: [bpr]\n  \"@noise\": [none, neg0, neg3]\nper:\n  - {when: {\"@noise\": neg0}, set: {false-negative-weight: 0}}\n  - {when: {\"@noise\": neg3}, set: {false-negative-weight: 3}}\n");
        (string report, _) = SmokeReport(path);
        string svg = File.ReadAllText(Path.Combine(report, "figures", "weighted-generated-neg-noise.svg"));
        Assert.Contains("sampling weight of the user", svg);        // a weighted spec's axis (the apostrophe is escaped)
        Assert.DoesNotContain("share of negatives", svg);
        Assert.False(File.Exists(Path.Combine(report, "figures", "weighted-generated-pos-noise.svg")));   // no noisy positives: no figure of them
    }

    [Fact]
    public void The_report_holds_a_table_and_the_figures_of_every_spec_as_inline_svg_and_files()
    {
        string path = Spec("name: rep\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [mml, ccl]\n  negatives: [5, 10]\n  \"@noise\": [none, neg0.2, pos0.1]\nper:\n  - {when: {\"@noise\": neg0.2}, set: {false-negative-ratio: 0.2}}\n  - {when: {\"@noise\": pos0.1}, set: {noisy-positive-ratio: 0.1}}\npublished:\n  - {when: {loss: ccl, negatives: \"10\", \"@noise\": none}, recall: 0.05, ndcg: 0.04, source: paper}\n");
        (string report, string output) = SmokeReport(path);
        Assert.Contains("12 finished cells", output);
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("<table>", html);
        Assert.Contains("<li><a href=\"#rep\">rep</a>: 12 of 12 cells finished.", html);   // the contents line
        Assert.Contains("<details><summary>Provenance", html);
        Assert.Contains("<td>mml_5_none</td><td>2</td>", html);                               // a provenance row
        Assert.Contains("<p class=\"note\">Machine, every cell:", html);                     // its note, not a table row
        string[] figures = [.. Directory.GetFiles(Path.Combine(report, "figures"), "*.svg").Select(Path.GetFileNameWithoutExtension).Order()!];
        // learning curves; Recall@20 and NDCG@20 against negatives, against noisy negatives and noisy positives
        Assert.Equal(["rep-generated-curves", "rep-generated-neg-noise", "rep-generated-neg-noise-ndcg", "rep-generated-negatives", "rep-generated-negatives-ndcg",
            "rep-generated-pos-noise", "rep-generated-pos-noise-ndcg"], figures);
        Assert.Equal(figures.Length, html.Split("<figure>").Length - 1);
        Assert.Equal(figures.Length, html.Split("<svg").Length - 1);
        Assert.All(figures, f => Assert.True(new FileInfo(Path.Combine(report, "figures", f + ".png")).Length > 1000));
        // The published figure is drawn beside its measured point, in the negatives figure only.
        Assert.Contains("ccl none: published", File.ReadAllText(Path.Combine(report, "figures", "rep-generated-negatives.svg")));
        string ndcg = File.ReadAllText(Path.Combine(report, "figures", "rep-generated-negatives-ndcg.svg"));
        Assert.Contains("test NDCG@20 (last epoch)", ndcg);
        Assert.Contains("ccl none: published", ndcg);
        Assert.DoesNotContain("published", File.ReadAllText(Path.Combine(report, "figures", "rep-generated-curves.svg")));
    }

    [Fact]
    public void A_sweep_of_three_values_gets_its_own_figures_with_only_the_published_figures_tied_to_it()
    {
        string path = Spec("name: sweep\nbase: {epochs: 1}\ngrid:\n  loss: [sl]\n  temperature: [0.05, 0.1, 0.2]\n  \"@noise\": [none, pos0.1]\n"
            + "per:\n  - {when: {\"@noise\": pos0.1}, set: {noisy-positive-ratio: 0.1}}\npublished:\n"
            + "  - {when: {temperature: \"0.1\", \"@noise\": none}, recall: 0.05, ndcg: 0.04, source: paper}\n"
            + "  - {when: {\"@noise\": pos0.1}, recall: 0.05, ndcg: 0.04, source: paper}\n");
        (string report, _) = SmokeReport(path);
        string[] figures = [.. Directory.GetFiles(Path.Combine(report, "figures"), "*.svg").Select(Path.GetFileNameWithoutExtension).Order()!];
        Assert.Contains("sweep-generated-temperature", figures);
        Assert.Contains("sweep-generated-temperature-ndcg", figures);
        string svg = File.ReadAllText(Path.Combine(report, "figures", "sweep-generated-temperature.svg"));
        Assert.Contains("sl none: published", svg);            // tied to a temperature: drawn at it
        Assert.DoesNotContain("sl pos0.1: published", svg);    // given for every temperature: no point of the sweep
        Assert.Contains("sl 0.05: published", File.ReadAllText(Path.Combine(report, "figures", "sweep-generated-pos-noise.svg")));   // the noise figure keeps it
        Assert.Contains("noisy positives per true positive", File.ReadAllText(Path.Combine(report, "figures", "sweep-generated-pos-noise.svg")));
        Assert.False(File.Exists(Path.Combine(report, "figures", "sweep-generated-neg-noise.svg")));   // no noisy negatives: no figure of them
    }

    [Fact]
    public void Negatives_are_always_an_axis_another_numeric_option_from_three_values_and_labels_seeds_and_data_never()
    {
        static TableRow Row(string negatives, string temperature, string dim) =>
            new(new Dictionary<string, string> { ["data"] = "d", ["seed"] = negatives, ["@noise"] = "none", ["loss"] = "sl", ["negatives"] = negatives,
                ["temperature"] = temperature, ["dim"] = dim }, 1, 1, new Stat(0.1, 0, 0.1, 0), null, new Stat(0.1, 0, 0.1, 0), null);
        TableRow[] rows = [Row("10", "0.1", "8"), Row("50", "0.2", "16"), Row("50", "0.3", "16")];
        Assert.Equal(["negatives", "temperature"], ExperimentReport.NumericAxes(["data", "seed", "@noise", "loss", "negatives", "temperature", "dim"], rows));
        Assert.Empty(ExperimentReport.NumericAxes(["temperature"], rows[..2]));
    }

    [Fact]
    public void Without_specs_named_the_report_places_them_by_their_order_key_then_by_file_name()
    {
        // File names a < b < c < d; the order keys put c first, then a; b and d have none and come last, by file name.
        File.WriteAllText(Path.Combine(Folder, "d.yaml"), "name: delta\ngrid: {loss: [mml]}\n");
        File.WriteAllText(Path.Combine(Folder, "a.yaml"), "name: alpha\norder: 2\ngrid: {loss: [mml]}\n");
        File.WriteAllText(Path.Combine(Folder, "b.yaml"), "name: beta\ngrid: {loss: [mml]}\n");
        File.WriteAllText(Path.Combine(Folder, "c.yaml"), "name: gamma\norder: 1\ngrid: {loss: [mml]}\n");
        string report = Path.Combine(Folder, "report");
        var (code, _, err) = Cli.Run("report", "--smoke", "--experiments", Folder, "--out", report);
        Assert.True(code == 0, err);
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        int[] at = [.. new[] { "gamma", "alpha", "beta", "delta" }.Select(n => html.IndexOf($"<li><a href=\"#{n}\">", StringComparison.Ordinal))];
        Assert.All(at, i => Assert.True(i >= 0));
        Assert.True(at[0] < at[1] && at[1] < at[2] && at[2] < at[3], $"contents positions {string.Join(", ", at)}");

        // Specs named on the command line keep the order given.
        (code, _, err) = Cli.Run("report", Path.Combine(Folder, "b.yaml"), Path.Combine(Folder, "c.yaml"), "--smoke", "--experiments", Folder, "--out", report);
        Assert.True(code == 0, err);
        html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.True(html.IndexOf("href=\"#beta\"", StringComparison.Ordinal) < html.IndexOf("href=\"#gamma\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_metric_figure_plots_its_own_metric_and_its_own_published_figure()
    {
        static TableRow Row(string negatives, double recall, double ndcg, Published? published = null) =>
            new(new Dictionary<string, string> { ["loss"] = "mml", ["negatives"] = negatives }, 1, 1, new Stat(recall, 0, ndcg, 0), null,
                new Stat(recall, 0, ndcg, 0), published);
        TableRow[] rows = [Row("10", 0.20, 0.10), Row("50", 0.30, 0.15, new Published(new Dictionary<string, string>(), 0.50, 0.40, "paper"))];
        foreach ((ExperimentReport.Metric metric, double[] ys, double published) in new[] { (ExperimentReport.Metrics[0], new[] { 0.20, 0.30 }, 0.50), (ExperimentReport.Metrics[1], new[] { 0.10, 0.15 }, 0.40) })
        {
            ScottPlot.Plot plot = ExperimentReport.Against(rows, metric, "negatives", r => double.Parse(r.Grid["negatives"], System.Globalization.CultureInfo.InvariantCulture), "negatives", log: false);
            var line = Assert.Single(plot.GetPlottables<ScottPlot.Plottables.Scatter>());
            Assert.Equal(ys, line.Data.GetScatterPoints().Select(p => p.Y));
            var marker = Assert.Single(plot.GetPlottables<ScottPlot.Plottables.Marker>());
            Assert.Equal(published, marker.GetAxisLimits().Top, 9);
        }
    }

    [Fact]
    public void A_series_with_several_published_figures_names_them_once_in_the_legend()
    {
        static TableRow Row(string ratio, double recall, double? published) =>
            new(new Dictionary<string, string> { ["loss"] = "sl", ["ratio"] = ratio }, 1, 1, new Stat(recall, 0, recall, 0), null,
                new Stat(recall, 0, recall, 0), published is { } p ? new Published(new Dictionary<string, string>(), p, p, "paper") : null);
        TableRow[] rows = [Row("0", 0.30, null), Row("0.1", 0.28, 0.29), Row("0.2", 0.26, 0.27), Row("0.3", 0.24, 0.25)];
        ScottPlot.Plot plot = ExperimentReport.Against(rows, ExperimentReport.Metrics[0], "ratio", r => double.Parse(r.Grid["ratio"], System.Globalization.CultureInfo.InvariantCulture), "ratio", log: false);

        Assert.Equal(3, plot.GetPlottables<ScottPlot.Plottables.Marker>().Count());
        Assert.Equal(["sl", "sl: published"], plot.GetPlottables().Select(p => p.LegendItems.FirstOrDefault()?.LabelText ?? "").Where(t => t.Length > 0));
    }

    [Fact]
    public void A_published_figure_that_every_series_shares_is_drawn_once_in_black_and_series_of_their_own_keep_theirs()
    {
        static TableRow Row(string temperature, string ratio, double recall, double? published) =>
            new(new Dictionary<string, string> { ["ratio"] = ratio, ["temperature"] = temperature }, 1, 1, new Stat(recall, 0, recall, 0), null,
                new Stat(recall, 0, recall, 0), published is { } p ? new Published(new Dictionary<string, string>(), p, p, "paper") : null);
        static ScottPlot.Plot Plot(TableRow[] rows) => ExperimentReport.Against(rows, ExperimentReport.Metrics[0], "ratio",
            r => double.Parse(r.Grid["ratio"], System.Globalization.CultureInfo.InvariantCulture), "ratio", log: false);
        static string[] Legend(ScottPlot.Plot plot) =>
            [.. plot.GetPlottables().Select(p => p.LegendItems.FirstOrDefault()?.LabelText ?? "").Where(t => t.Length > 0)];

        // The paper's figure per noise ratio, beside each temperature tried.
        ScottPlot.Plot shared = Plot([Row("0.08", "0", 0.30, 0.35), Row("0.08", "0.1", 0.28, 0.33), Row("0.10", "0", 0.31, 0.35), Row("0.10", "0.1", 0.29, 0.33)]);
        ScottPlot.Plottables.Marker[] markers = [.. shared.GetPlottables<ScottPlot.Plottables.Marker>()];
        Assert.Equal([0.35, 0.33], markers.Select(m => m.Y));
        Assert.All(markers, m => Assert.Equal(ScottPlot.Colors.Black, m.MarkerStyle.LineColor));
        Assert.Equal(["0.08", "0.10", "published"], Legend(shared));

        // Different figures per series: each in its line's colour.
        ScottPlot.Plot own = Plot([Row("0.08", "0.1", 0.28, 0.33), Row("0.10", "0.1", 0.29, 0.34)]);
        Assert.Equal(2, own.GetPlottables<ScottPlot.Plottables.Marker>().Count());
        Assert.Equal(["0.08", "0.08: published", "0.10", "0.10: published"], Legend(own));
    }

    [Fact]
    public void A_bar_shows_the_best_validation_epoch_where_early_stopping_chose_one_else_the_last()
    {
        static Stat At(double recall) => new(recall, 0, recall / 2, 0);
        TableRow[] rows =
        [
            new(new Dictionary<string, string> { ["@stopping"] = "none" }, 1, 100, At(0.30), null, At(0.31), null),
            new(new Dictionary<string, string> { ["@stopping"] = "validation" }, 1, 93, At(0.20), At(0.25), At(0.26), null),
        ];
        ScottPlot.Plot plot = ExperimentReport.Bars(rows);
        var bars = Assert.Single(plot.GetPlottables<ScottPlot.Plottables.BarPlot>());
        Assert.Equal([0.30, 0.25], bars.Bars.Select(b => b.Value));
    }

    [Fact]
    public void Every_line_of_a_twelve_line_figure_has_its_own_colour()
    {
        TableRow[] rows = [.. Enumerable.Range(0, 12).Select(i => new TableRow(new Dictionary<string, string> { ["loss"] = $"loss{i}", ["negatives"] = "10" },
            1, 1, new Stat(0.1 + i / 100.0, 0, 0.05, 0), null, new Stat(0.1, 0, 0.05, 0), null))];
        ScottPlot.Plot plot = ExperimentReport.Against(rows, ExperimentReport.Metrics[0], "negatives", _ => 10, "negatives", log: false);
        var colours = plot.GetPlottables<ScottPlot.Plottables.Scatter>().Select(l => l.Color).ToArray();
        Assert.Equal(12, colours.Length);
        Assert.Equal(12, colours.Distinct().Count());   // ScottPlot's own ten-colour cycle gives the 11th the 1st's colour
    }

    [Fact]
    public void The_rate_cuts_of_a_plateau_schedule_are_the_epochs_before_a_lower_rate()
    {
        System.Text.Json.Nodes.JsonNode cut = System.Text.Json.Nodes.JsonNode.Parse("""
            {"epochs": [{"epoch": 1, "lr": 0.1}, {"epoch": 2, "lr": 0.1}, {"epoch": 3, "lr": 0.05}, {"epoch": 4, "lr": 0.05}, {"epoch": 5, "lr": 0.025}, {"epoch": 6, "lr": 0.025},
             {"epoch": 7, "lr": 1.0000000000000002e-06}, {"epoch": 8, "lr": 1e-06}]}
            """)!;
        Assert.Equal([2.0, 4.0, 6.0], ExperimentReport.CutEpochs(cut));   // not 7: a rounding step onto the floor
        System.Text.Json.Nodes.JsonNode constant = System.Text.Json.Nodes.JsonNode.Parse("""{"epochs": [{"epoch": 1}, {"epoch": 2}]}""")!;
        Assert.Empty(ExperimentReport.CutEpochs(constant));
    }

    [Fact]
    public void A_figure_of_one_cell_draws_its_curve_and_marks_the_rate_cuts()
    {
        System.Text.Json.Nodes.JsonNode result = System.Text.Json.Nodes.JsonNode.Parse("""
            {"epochs": [{"epoch": 1, "lr": 0.1, "test": {"recall@20": 0.10}}, {"epoch": 2, "lr": 0.1, "test": {"recall@20": 0.12}},
                        {"epoch": 3, "lr": 0.01, "test": {"recall@20": 0.15}}]}
            """)!;
        var cell = new Cell("gowalla_2019", new Dictionary<string, string> { ["data"] = "gowalla", ["seed"] = "2019" }, new Dictionary<string, string?>(), "gowalla");
        (ScottPlot.Plot plot, bool cuts) = ExperimentReport.Curves([(cell, result)]);
        Assert.True(cuts);
        Assert.Equal(0.12, Assert.Single(plot.GetPlottables<ScottPlot.Plottables.Marker>()).Y);
        // The axis labels are drawn: the render did not fail on a legend of no named line.
        Assert.Contains("test Recall@20", plot.GetSvgXml(400, 300));
    }

    [Fact]
    public void A_figure_whose_only_name_is_a_published_marker_keeps_its_legend()
    {
        // One series with no other grid value: its line has no name, its published marker has.
        TableRow[] rows = [new(new Dictionary<string, string> { ["negatives"] = "50" }, 1, 1, new Stat(0.30, 0, 0.15, 0), null,
            new Stat(0.30, 0, 0.15, 0), new Published(new Dictionary<string, string>(), 0.50, 0.40, "paper"))];
        ScottPlot.Plot plot = ExperimentReport.Against(rows, ExperimentReport.Metrics[0], "negatives", _ => 50, "negatives", log: false);
        string svg = plot.GetSvgXml(400, 300);
        Assert.Contains("published", svg);   // the legend's one item
        Assert.Contains(plot.Axes.GetPanels(), p => p.GetType().Name == "LegendPanel");   // outside the data, not over it
        Assert.Contains("test Recall@20", svg);
    }
}
