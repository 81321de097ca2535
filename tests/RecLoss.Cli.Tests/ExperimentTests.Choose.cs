using System.Globalization;
using System.Text.Json.Nodes;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

/// <summary>A spec's <c>choose:</c> picks a grid value per row by the validation split, never by the test split.</summary>
public partial class ExperimentTests
{
    private const string Chooser = """
        name: chooser
        base: {epochs: 2, negatives: 4, loss: sl, validation-ratio: 0.1}
        grid:
          data: [yelp2018]
          "@noise": [none, pos, neg]
          temperature: [0.08, 0.10, 0.12]
          seed: [1, 2]
        choose: temperature
        published:
          - {when: {"@noise": none}, recall: 0.0500, ndcg: 0.0400, source: test}
          - {when: {"@noise": pos, temperature: "0.08"}, recall: 0.0600, ndcg: 0.0500, source: test}
        smoke:
          set: {dim: 8}
        """;

    /// <summary>A finished result whose best-validation epoch (2) has the given validation and test Recall@20, and
    /// whose last epoch (3) has the given test Recall@20.</summary>
    private static JsonNode ChoiceResult(double validation, double test, double last) => JsonNode.Parse(string.Create(CultureInfo.InvariantCulture, $$$"""
        {"epochs": [{"epoch": 1, "validation": {"recall@20": 0.001, "ndcg@20": 0.001}},
                    {"epoch": 2, "validation": {"recall@20": {{{validation}}}, "ndcg@20": 0.01}},
                    {"epoch": 3, "validation": {"recall@20": 0.002, "ndcg@20": 0.002}}],
         "selections": [{"selection": "last", "epoch": 3, "test": {"recall@20": {{{last}}}, "ndcg@20": {{{last / 2}}}}},
                        {"selection": "best-validation", "epoch": 2, "test": {"recall@20": {{{test}}}, "ndcg@20": {{{test / 2}}}}},
                        {"selection": "best-test (test-selected: optimistic)", "epoch": 1, "test": {"recall@20": 0.9, "ndcg@20": 0.9}}]}
        """))!;

    private static readonly JsonNode NoValidation = JsonNode.Parse("""
        {"epochs": [{"epoch": 1}], "selections": [{"selection": "last", "epoch": 1, "test": {"recall@20": 0.9, "ndcg@20": 0.9}}]}
        """)!;

    [Fact]
    public void Choose_picks_by_mean_validation_recall_over_seeds_and_reports_the_choice_by_its_test_figures()
    {
        var runner = new ExperimentRunner(ExperimentSpec.Load(Spec(Chooser)), smoke: false, Folder, Folder, 5);
        Cell At(string noise, string temperature, string seed) => runner.Cells.Single(c => c.Key == $"yelp2018_{noise}_{temperature}_{seed}");
        List<(Cell, JsonNode)> finished =
        [
            // none: 0.10 has the best mean validation (0.31), 0.12 the best test; 0.08 has the best single seed.
            (At("none", "0.08", "1"), ChoiceResult(0.40, 0.05, 0.05)), (At("none", "0.08", "2"), ChoiceResult(0.10, 0.05, 0.05)),
            (At("none", "0.10", "1"), ChoiceResult(0.30, 0.04, 0.03)), (At("none", "0.10", "2"), ChoiceResult(0.32, 0.06, 0.05)),
            (At("none", "0.12", "1"), ChoiceResult(0.20, 0.09, 0.09)), (At("none", "0.12", "2"), ChoiceResult(0.20, 0.09, 0.09)),
            // pos: 0.12 has one seed only, so it is no candidate yet; 0.08 ties 0.10 and comes first in the grid.
            (At("pos", "0.08", "1"), ChoiceResult(0.25, 0.02, 0.02)), (At("pos", "0.08", "2"), ChoiceResult(0.25, 0.02, 0.02)),
            (At("pos", "0.10", "1"), ChoiceResult(0.25, 0.03, 0.03)), (At("pos", "0.10", "2"), ChoiceResult(0.25, 0.03, 0.03)),
            (At("pos", "0.12", "1"), ChoiceResult(0.90, 0.09, 0.09)),
            // neg: 0.08 finished without a validation split (a result from before the spec chose), nothing else.
            (At("neg", "0.08", "1"), NoValidation), (At("neg", "0.08", "2"), NoValidation),
        ];
        List<ChosenRow> rows = ExperimentChoice.Rows(runner, finished);

        Assert.Equal(3, rows.Count);
        ChosenRow none = rows[0], pos = rows[1], neg = rows[2];
        Assert.Equal("0.10", none.Chosen);
        Assert.Equal([0.25, 0.31, 0.20], none.Candidates.Select(c => Math.Round(c.ValidationRecall, 10)));
        Assert.Equal(0.05, none.BestValidation!.Recall, 12);          // the mean test Recall at the best-validation epochs
        Assert.Equal(0.04, none.Last!.Recall, 12);
        Assert.Equal(0.0500, none.Published!.Recall);                  // the row's published figure
        Assert.Equal(0, none.Unfinished);
        Assert.Equal("0.08", pos.Chosen);
        Assert.Null(pos.Published);                                    // one naming a temperature is that cell's, not the row's
        Assert.Equal(1, pos.Unfinished);
        Assert.Equal(["0.08", "0.10"], pos.Candidates.Select(c => c.Value));
        Assert.Null(neg.Chosen);
        Assert.Empty(neg.Candidates);
        Assert.Equal((2, 1), (neg.Unfinished, neg.Unusable));

        string markdown = ExperimentChoice.Markdown(runner, rows);
        Assert.Contains("| none | 0.10 | 0.08: 0.2500, 0.10: 0.3100, 0.12: 0.2000 | 2 | 3 | 0.0500 ± 0.0141 / 0.0250 ± 0.0071 |", markdown);
        Assert.Contains("0.08: 0.2500, 0.10: 0.2500 (1 not finished) | 2 | 3 | 0.0200 / 0.0100 | 0.0200 / 0.0100 | - | - |", markdown);
        Assert.Contains("| neg | - | (2 not finished, 1 without validation figures) | 0 | 0 | - | - | - | - |", markdown);
    }

    [Fact]
    public void Choose_on_a_smoke_run_writes_the_chosen_table_from_the_cells_validation()
    {
        string spec = Spec(Chooser.Replace("temperature: [0.08, 0.10, 0.12]", "temperature: [0.08, 0.50]").Replace("seed: [1, 2]", "seed: [1]"));
        (int code, string output, string error) = RunSmoke(spec);
        Assert.True(code == 0, error);
        Assert.Contains("temperature chosen per row by validation Recall@20 (table-chosen.md)", output);
        string results = Path.Combine(Folder, "runs", "chooser-smoke", "results");
        string chosen = File.ReadAllText(Path.Combine(results, "table-chosen.md"));
        Assert.Equal(3, JsonNode.Parse(File.ReadAllText(Path.Combine(results, "table-chosen.json")))!.AsArray().Count);
        var runner = new ExperimentRunner(ExperimentSpec.Load(spec), smoke: true, Folder, Folder, 5);
        foreach (IGrouping<string, (Cell Cell, JsonNode Result)> row in runner.FinishedResults().GroupBy(f => f.Cell.Grid["@noise"]))
        {
            // The candidate with the higher validation Recall at its best-validation epoch is the one in the table.
            (Cell Cell, JsonNode Result) best = row.MaxBy(f => f.Result["epochs"]!.AsArray()
                .Max(e => e!["validation"]!["recall@20"]!.GetValue<double>()))!;
            Assert.Contains($"| {row.Key} | {best.Cell.Grid["temperature"]} | 0.08: ", chosen);
        }
    }

    [Theory]
    [InlineData("choose: seed", "choose: 'seed' is not a grid key to choose among (the grid has @noise, temperature; data and seed are never chosen)")]
    [InlineData("choose: lr", "choose: 'lr' is not a grid key to choose among")]
    [InlineData("choose: [temperature, temperature]", "choose: expected one or more different grid keys")]
    [InlineData("choose: []", "choose: expected one or more different grid keys")]
    [InlineData("choose:", "choose: expected one or more different grid keys")]
    public void A_choose_key_that_is_not_a_grid_key_is_refused_naming_the_line(string line, string message)
    {
        string path = Spec(Chooser.Replace("choose: temperature", line));
        var e = Assert.Throws<RecLoss.Core.Data.DataFormatException>(() => ExperimentSpec.Load(path));
        Assert.Contains(message, e.Message);
        Assert.Contains(":8:", e.Message);
    }

    [Fact]
    public void Choose_without_a_validation_split_in_every_cell_is_refused()
    {
        string path = Spec(Chooser.Replace(", validation-ratio: 0.1}", "}")
            .Replace("choose: temperature", "per:\n  - when: {\"@noise\": pos}\n    set: {validation-ratio: 0.1}\nchoose: temperature"));
        var e = Assert.Throws<RecLoss.Core.Data.DataFormatException>(() => ExperimentSpec.Load(path));
        Assert.Contains(":11: choose: picks by validation Recall@20, but cell 'yelp2018_none_0.08_1' has no validation split", e.Message);
    }

    [Theory]
    [InlineData("select-on: test, patience: 3", "selects epochs on the test split")]
    [InlineData("select-metric: ndcg", "selects epochs by another metric than Recall@20")]
    public void Choose_with_epochs_selected_otherwise_than_by_validation_recall_is_refused(string options, string problem)
    {
        string path = Spec(Chooser.Replace("validation-ratio: 0.1}", $"validation-ratio: 0.1, {options}}}"));
        var e = Assert.Throws<RecLoss.Core.Data.DataFormatException>(() => ExperimentSpec.Load(path));
        Assert.Contains($":8: choose: picks by validation Recall@20, but cell 'yelp2018_none_0.08_1' {problem}", e.Message);
    }
}
