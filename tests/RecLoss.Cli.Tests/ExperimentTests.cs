using System.Globalization;
using System.Text.Json;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

public partial class ExperimentTests : WithTempFolder
{
    private string Spec(string yaml)
    {
        string path = Path.Combine(Folder, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>`recloss experiment run SPEC --smoke` into this test's folder, with any further options.</summary>
    private (int Code, string Out, string Err) RunSmoke(string spec, params string[] options) =>
        Cli.Run(["experiment", "run", spec, "--smoke", "--experiments", Folder, .. options]);

    private const string Small = """
        name: small
        base: {epochs: 3, negatives: 4, eval-every: 1}
        grid:
          data: [yelp2018, gowalla]
          loss: [mml, ccl]
          seed: [1, 2]
          "@variant": [plain, stopped]
        per:
          - when: {data: gowalla}
            set: {batch-size: 256}
          - when: {data: gowalla, loss: ccl}
            set: {negative-weight: 250}
          - when: {"@variant": stopped}
            set: {validation-ratio: 0.1, patience: 1}
        published:
          - {when: {data: yelp2018, loss: ccl}, recall: 0.0698, ndcg: 0.0572, source: test}
        smoke:
          set: {dim: 8, batch-size: 2048, exclude-positives: true}
        """;

    [Fact]
    public void The_grid_expands_in_order_with_overrides_labels_and_smoke_settings()
    {
        ExperimentSpec spec = ExperimentSpec.Load(Spec(Small));
        List<Cell> cells = spec.Cells(smoke: false);
        Assert.Equal(16, cells.Count);
        Assert.Equal("yelp2018_mml_1_plain", cells[0].Key);
        Assert.Equal("gowalla_ccl_2_stopped", cells[^1].Key);
        Assert.Equal("gowalla", cells[^1].Data);
        Assert.Equal("250", cells[^1].Options["negative-weight"]);
        Assert.Equal("256", cells[^1].Options["batch-size"]);
        Assert.Equal("1", cells[^1].Options["patience"]);
        Assert.False(cells[0].Options.ContainsKey("@variant"));
        Assert.False(cells[0].Options.ContainsKey("negative-weight"));
        Cell smoke = spec.Cells(smoke: true)[^1];
        Assert.Equal("2048", smoke.Options["batch-size"]);            // smoke settings come last
        Assert.Null(smoke.Options["exclude-positives"]);               // true: a flag
        Assert.Equal(0.0698, spec.PublishedFor(cells[4].Grid)!.Recall);
        Assert.Null(spec.PublishedFor(cells[0].Grid));
    }

    [Fact]
    public void A_smoke_leaves_in_batch_all_cells_their_negatives_which_follow_the_batch_size()
    {
        ExperimentSpec spec = ExperimentSpec.Load(Spec("""
            name: frame
            grid: {data: [gowalla], loss: [bsl, mml]}
            per:
              - when: {loss: bsl}
                set: {sampler: in-batch-all, batch-size: 2048, negatives: 2047}
            smoke:
              set: {batch-size: 512, negatives: 5}
            """));
        List<Cell> full = spec.Cells(smoke: false), smoke = spec.Cells(smoke: true);
        Assert.Equal("2047", full[0].Options["negatives"]);
        Assert.False(smoke[0].Options.ContainsKey("negatives"));      // train defaults it to 511
        Assert.Equal("5", smoke[1].Options["negatives"]);
    }

    [Theory]
    [InlineData("name: x\ngrid: {loss: [mml]}\nbogus: 1\n", 3, "unknown key 'bogus'")]
    [InlineData("name: x\n", 1, "needs a grid")]
    [InlineData("grid: {loss: [mml]}\n", 1, "needs a name")]
    [InlineData("name: x y\ngrid: {loss: [mml]}\n", 1, "must be letters")]
    [InlineData("name: x\ngrid: {loss: [mml]}\nper:\n  - when: {data: y}\n    set: {epochs: 1}\n", 4, "'data' is not a grid key")]
    [InlineData("name: x\ngrid: {loss: [mml]}\npublished:\n  - {when: {loss: mml}, recall: high}\n", 4, "recall: 'high' is not a number")]
    [InlineData("name: x\ngrid: [a, b]\n", 2, "expected a mapping")]
    [InlineData("name: x\ngrid: {loss: [mml\n", 3, "not valid YAML")]
    [InlineData("name: x\ngrid: {loss: [mml, mml]}\n", 1, "2 cells are named 'mml'")]
    [InlineData("name: x\norder: -1\ngrid: {loss: [mml]}\n", 2, "order '-1' must be a whole number")]
    public void A_bad_spec_names_the_file_line_and_problem(string yaml, int line, string problem)
    {
        string path = Spec(yaml);
        var e = Assert.Throws<Core.Data.DataFormatException>(() => ExperimentSpec.Load(path));
        Assert.Contains(problem, e.Message);
        Assert.Equal(line, e.LineNumber);
    }

    [Fact]
    public void A_cell_with_a_plateau_schedule_records_each_epochs_rate_and_one_without_records_none()
    {
        string path = Spec("""
            name: plateau
            base: {epochs: 3, negatives: 4, eval-every: 1, select-on: test, patience: 5}
            grid: {"@schedule": [constant, plateau]}
            per:
              - when: {"@schedule": plateau}
                set: {plateau-factor: 0.5, lr: 0.03}
            smoke:
              set: {dim: 8, batch-size: 2048}
            """);
        var (code, _, err) = RunSmoke(path);
        Assert.True(code == 0, err);
        string results = Path.Combine(Folder, "runs", "plateau-smoke", "results");
        using JsonDocument plateau = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "plateau.json")));
        // Each epoch's rate is the one before it, or half of it after a stall; the first is --lr.
        double[] rates = [.. plateau.RootElement.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("lr").GetDouble())];
        Assert.Equal(0.03, rates[0]);
        Assert.All(rates.Zip(rates.Skip(1)), p => Assert.True(p.Second == p.First || p.Second == p.First * 0.5, $"{p.First} then {p.Second}"));
        using JsonDocument constant = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "constant.json")));
        Assert.All(constant.RootElement.GetProperty("epochs").EnumerateArray(), e => Assert.False(e.TryGetProperty("lr", out _)));
    }

    [Fact]
    public void A_bad_option_in_any_cell_stops_the_run_before_the_first_cell_trains()
    {
        string path = Spec("name: bad\nbase: {epochs: 1}\ngrid:\n  loss: [mml, bpr]\nper:\n  - when: {loss: bpr}\n    set: {margins: \"0.5\"}\n");
        var (code, output, err) = RunSmoke(path);
        Assert.Equal(2, code);
        Assert.Contains("cell bpr", err);
        Assert.Contains("--margins", err);
        Assert.DoesNotContain("epoch", output);
    }

    [Fact]
    public void Run_skips_finished_cells_status_counts_them_and_the_table_averages_seeds()
    {
        string path = Spec(Small);
        var (code, output, err) = RunSmoke(path);
        Assert.True(code == 0, err);
        Assert.Contains("16 cells run now", output);
        string results = Path.Combine(Folder, "runs", "small-smoke", "results");
        Assert.Equal(16, Directory.GetFiles(results, "*.json").Count(f => !f.EndsWith("table.json")));
        using (JsonDocument cell = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "yelp2018_mml_1_plain.json"))))
        {
            Assert.Equal(3, cell.RootElement.GetProperty("epochs").GetArrayLength());
            Assert.Equal("small", cell.RootElement.GetProperty("spec").GetString());
            Assert.Equal(1, cell.RootElement.GetProperty("segments").EnumerateArray().Single().GetProperty("firstEpoch").GetInt32());
        }

        // A second run trains nothing; a removed result is trained again (from its checkpoint: already finished).
        string firstStart;
        using (JsonDocument before = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "gowalla_ccl_2_stopped.json"))))
        {
            firstStart = before.RootElement.GetProperty("segments")[0].GetProperty("startedUtc").GetString()!;
        }
        File.Delete(Path.Combine(results, "gowalla_ccl_2_stopped.json"));
        (code, output, err) = RunSmoke(path);
        Assert.True(code == 0, err);
        Assert.Contains("1 cells run now", output);
        using (JsonDocument again = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "gowalla_ccl_2_stopped.json"))))
        {
            // Its finished checkpoint trained nothing more: still the one segment from epoch 1, the first process's.
            JsonElement segment = again.RootElement.GetProperty("segments").EnumerateArray().Single();
            Assert.Equal(1, segment.GetProperty("firstEpoch").GetInt32());
            Assert.Equal(firstStart, segment.GetProperty("startedUtc").GetString());
        }

        (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("16 of 16 cells done", output);

        (code, output, _) = Cli.Run("experiment", "table", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        string[] rows = [.. output.Split('\n').Where(l => l.StartsWith("| yelp2018") || l.StartsWith("| gowalla"))];
        Assert.Equal(8, rows.Length);                            // 16 cells over 2 seeds
        Assert.All(rows, r => Assert.Contains("| 2 | 3 |", r));   // seeds, epochs
        Assert.Contains("±", rows[0]);                           // a spread over the two seeds
        Assert.Contains("0.0698 / 0.0572 (test)", rows.Single(r => r.StartsWith("| yelp2018 | ccl | plain")));
        AssertCsvDifferences(Path.Combine(results, "table.csv"), "yelp2018,ccl,plain", 0.0698, 0.0572, validation: false);
        AssertCsvDifferences(Path.Combine(results, "table.csv"), "yelp2018,ccl,stopped", 0.0698, 0.0572, validation: true);
    }

    /// <summary>The CSV row starting with <paramref name="rowStart"/> gives each selection's difference from the published
    /// figures, as (measured - published) / published in percent, from its own unrounded columns; the best-validation
    /// ones only where the cells had a validation split.</summary>
    private static void AssertCsvDifferences(string csv, string rowStart, double recall, double ndcg, bool validation)
    {
        string[] lines = File.ReadAllLines(csv);
        string[] header = lines[0].Split(',');
        string[] row = lines.Single(l => l.StartsWith(rowStart + ",", StringComparison.Ordinal)).Split(',');
        Assert.Equal(header.Length, row.Length);
        string Field(string name) => row[Array.IndexOf(header, name)];
        double Col(string name) => double.Parse(Field(name), CultureInfo.InvariantCulture);
        Assert.Equal(recall, Col("published_recall20"));
        string[] selections = validation ? ["last", "bestval", "testsel"] : ["last", "testsel"];
        foreach (string selection in selections)
        {
            Assert.Equal(100 * (Col($"{selection}_recall20") - recall) / recall, Col($"{selection}_vs_published_recall_pct"), 9);
            Assert.Equal(100 * (Col($"{selection}_ndcg20") - ndcg) / ndcg, Col($"{selection}_vs_published_ndcg_pct"), 9);
        }
        Assert.True(Col("testsel_recall20_sd") > 0);   // two seeds whose best test figures differ
        Assert.Equal(validation, Field("bestval_vs_published_recall_pct").Length > 0);
        Assert.Equal(validation, Field("bestval_recall20_sd").Length > 0);
    }

    [Fact]
    public void Cells_picks_which_cells_run_and_a_pattern_matching_none_is_a_usage_error()
    {
        string path = Spec("name: pick\nbase: {epochs: 1}\ngrid:\n  data: [yelp2018, gowalla]\n  loss: [mml, ccl, bpr]\n");
        var (code, output, err) = RunSmoke(path, "--cells", "gowalla_*,yelp2018_bpr");
        Assert.True(code == 0, err);
        Assert.Contains("4 cells run now, 4 of 6 done (the others were not among --cells)", output);
        string results = Path.Combine(Folder, "runs", "pick-smoke", "results");
        Assert.Equal(["gowalla_bpr", "gowalla_ccl", "gowalla_mml", "yelp2018_bpr"],
            Directory.GetFiles(results, "*.json").Select(Path.GetFileNameWithoutExtension).Where(f => f != "table").Order());
        // Cells outside --cells are left untouched: no run or checkpoint folder.
        Assert.Equal(["gowalla_bpr", "gowalla_ccl", "gowalla_mml", "results", "yelp2018_bpr"],
            Directory.GetDirectories(Path.Combine(Folder, "runs", "pick-smoke")).Select(Path.GetFileName).Order());
        (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Contains("4 of 6 cells done", output);
        Assert.Contains("left     yelp2018_mml", output);

        (code, _, err) = RunSmoke(path, "--cells", "movielens_*");
        Assert.Equal(2, code);
        Assert.Contains("'movielens_*' matches no cell of pick", err);
        Assert.Contains("yelp2018_mml, yelp2018_ccl", err);
        (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder, "--cells", "yelp2018_*");
        Assert.Equal(0, code);
        Assert.Contains("1 of 3 cells done (the 3 of 6 among --cells)", output);
        Assert.DoesNotContain("gowalla_mml", output);
        (code, _, err) = Cli.Run("experiment", "table", path, "--smoke", "--experiments", Folder, "--cells", "gowalla_*");
        Assert.Equal(2, code);
        Assert.Contains("--cells applies to experiment run and status", err);
    }

    [Fact]
    public void A_cell_whose_lock_another_runner_holds_is_left_to_it_and_a_lock_left_behind_is_no_obstacle()
    {
        string path = Spec("name: shared\nbase: {epochs: 1}\ngrid:\n  loss: [mml, ccl, bpr]\n");
        string cclFolder = Path.Combine(Folder, "runs", "shared-smoke", "ccl");
        string lockFile = Path.Combine(cclFolder, ".running");
        string results = Path.Combine(Folder, "runs", "shared-smoke", "results");
        Directory.CreateDirectory(cclFolder);
        // Another runner training ccl holds its lock file open, exclusively (as CellLock does).
        using (var other = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var (code, output, err) = RunSmoke(path, "--threads", "1");
            Assert.True(code == 0, err);
            Assert.Contains("[2/3] ccl: another runner is training it", output);
            Assert.Contains("2 cells run now, 2 of 3 done (1 running in another runner)", output);
            Assert.Contains("--checkpoint-every 5 --threads 1", output);   // passed to each cell's training
            Assert.Contains("| threads 1", output);
            Assert.False(File.Exists(Path.Combine(results, "ccl.json")));
            (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
            Assert.Contains("running  ccl", output);
            Assert.Contains("done     mml", output);
        }

        // The lock file stays behind with a process id in it (as after a kill): nobody holds it, so it is free.
        File.WriteAllText(lockFile, "999999\n");
        var (again, againOutput, againErr) = RunSmoke(path);
        Assert.True(again == 0, againErr);
        Assert.Contains("1 cells run now, all 3 done", againOutput);
        Assert.True(File.Exists(Path.Combine(results, "ccl.json")));
        Assert.Equal("", File.ReadAllText(lockFile));   // emptied when the cell was done
        var (statusCode, _, statusErr) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder, "--threads", "1");
        Assert.Equal(2, statusCode);
        Assert.Contains("--threads applies to experiment run", statusErr);
    }
}
