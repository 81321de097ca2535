using System.Text.Json;
using System.Text.Json.Nodes;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

public class ExperimentTests : WithTempFolder
{
    private string Spec(string yaml)
    {
        string path = Path.Combine(Folder, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

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
    public void A_bad_spec_names_the_file_line_and_problem(string yaml, int line, string problem)
    {
        string path = Spec(yaml);
        var e = Assert.Throws<Core.Data.DataFormatException>(() => ExperimentSpec.Load(path));
        Assert.Contains(problem, e.Message);
        Assert.Equal(line, e.LineNumber);
    }

    [Fact]
    public void A_bad_option_in_any_cell_stops_the_run_before_the_first_cell_trains()
    {
        string path = Spec("name: bad\nbase: {epochs: 1}\ngrid:\n  loss: [mml, bpr]\nper:\n  - when: {loss: bpr}\n    set: {margins: \"0.5\"}\n");
        var (code, output, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder);
        Assert.Equal(2, code);
        Assert.Contains("cell bpr", err);
        Assert.Contains("--margins", err);
        Assert.DoesNotContain("epoch", output);
    }

    [Fact]
    public void Run_skips_finished_cells_status_counts_them_and_the_table_averages_seeds()
    {
        string path = Spec(Small);
        var (code, output, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder);
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
        (code, output, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder);
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
        Assert.True(File.Exists(Path.Combine(results, "table.csv")));
    }

    [Fact]
    public void Status_of_a_half_finished_spec_says_what_is_left_and_the_time_it_takes()
    {
        string path = Spec("name: half\nbase: {epochs: 2}\ngrid:\n  loss: [mml, ccl, bpr]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder).Code);
        string results = Path.Combine(Folder, "runs", "half-smoke", "results");
        File.Delete(Path.Combine(results, "bpr.json"));
        Directory.Delete(Path.Combine(Folder, "runs", "half-smoke", "bpr"), recursive: true);
        var (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("2 of 3 cells done", output);
        Assert.Contains("left     bpr", output);
        Assert.Contains("2 epochs left: about", output);
        Assert.Contains("the others at that of the finished cells alike", output);
    }

    [Fact]
    public void Status_times_a_started_cell_by_its_own_epochs_when_no_cell_has_finished()
    {
        string path = Spec("name: own\nbase: {epochs: 2}\ngrid:\n  loss: [ccl]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder).Code);
        File.Delete(Path.Combine(Folder, "runs", "own-smoke", "results", "ccl.json"));
        File.WriteAllText(path, "name: own\nbase: {epochs: 5}\ngrid:\n  loss: [ccl]\n");   // its checkpoint is at 2 of 5 now
        var (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("stopped  ccl", output);
        Assert.Contains("epoch    2 / 5", output);
        Assert.Contains("3 epochs left: about", output);
        Assert.DoesNotContain("no finished cell", output);
    }

    [Fact]
    public void Status_of_several_specs_counts_a_training_they_share_once()
    {
        // second's ccl_a is first's ccl (same options): of the 2 + 2 cells left, three trainings of 2 epochs each.
        string first = Spec("name: first\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [mml, ccl]\n");
        string second = Spec("name: second\nbase: {epochs: 2}\ngrid:\n  loss: [ccl, bpr]\n  \"@v\": [a]\nper:\n  - {when: {loss: ccl}, set: {eval-every: 1}}\n");
        var (code, output, err) = Cli.Run("experiment", "status", first, second, "--smoke", "--experiments", Folder);
        Assert.True(code == 0, err);
        Assert.Contains("first (smoke): 0 of 2 cells done", output);
        Assert.Contains("second (smoke): 0 of 2 cells done", output);
        Assert.Contains("all 2 specs, a training two specs share counted once: 6 epochs left", output);
        (code, output, _) = Cli.Run("experiment", "status", first, second, "--smoke", "--experiments", Folder, "--no-reuse");
        Assert.Equal(0, code);
        Assert.Contains("all 2 specs: 8 epochs left", output);                     // run --no-reuse trains every copy

        // Once first/mml has finished it times the rest; its copy counts no more.
        Assert.Equal(0, Cli.Run("experiment", "run", first, "--smoke", "--experiments", Folder, "--cells", "mml").Code);
        (code, output, _) = Cli.Run("experiment", "status", first, second, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("all 2 specs, a training two specs share counted once: 4 epochs left: about", output);

        (code, _, err) = Cli.Run("experiment", "status", first, second, "--smoke", "--experiments", Folder, "--cells", "ccl");
        Assert.Equal(2, code);
        Assert.Contains("--cells picks cells of one spec", err);
        (code, _, err) = Cli.Run("experiment", "status", first, Path.Combine(Folder, "absent.yaml"), "--smoke", "--experiments", Folder);
        Assert.Equal(2, code);
        Assert.Contains("absent.yaml' is not a file", err);
        (code, _, err) = Cli.Run("experiment", "run", first, second, "--smoke", "--experiments", Folder);
        Assert.Equal(2, code);
        Assert.Contains("or status FILE FILE", err);
    }

    [Fact]
    public void Status_of_several_specs_counts_every_started_copy_of_a_shared_training()
    {
        // Both copies trained 2 epochs, then both specs ask for 5: each copy resumes its own checkpoint, 3 + 3 epochs.
        string a = Spec("name: sa\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [ccl]\n");
        string b = Spec("name: sb\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [ccl]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", a, "--smoke", "--experiments", Folder).Code);
        Assert.Equal(0, Cli.Run("experiment", "run", b, "--smoke", "--experiments", Folder, "--no-reuse").Code);
        foreach ((string path, string name) in new[] { (a, "sa"), (b, "sb") })
        {
            File.Delete(Path.Combine(Folder, "runs", name + "-smoke", "results", "ccl.json"));
            File.WriteAllText(path, $"name: {name}\nbase: {{epochs: 5, eval-every: 1}}\ngrid:\n  loss: [ccl]\n");
        }
        var (code, output, err) = Cli.Run("experiment", "status", a, b, "--smoke", "--experiments", Folder);
        Assert.True(code == 0, err);
        Assert.Contains("stopped  ccl", output);
        Assert.Contains("all 2 specs, a training two specs share counted once: 6 epochs left: about", output);
    }

    [Fact]
    public void Cells_picks_which_cells_run_and_a_pattern_matching_none_is_a_usage_error()
    {
        string path = Spec("name: pick\nbase: {epochs: 1}\ngrid:\n  data: [yelp2018, gowalla]\n  loss: [mml, ccl, bpr]\n");
        var (code, output, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder, "--cells", "gowalla_*,yelp2018_bpr");
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

        (code, _, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder, "--cells", "movielens_*");
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
            var (code, output, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder, "--threads", "1");
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
        var (again, againOutput, againErr) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder);
        Assert.True(again == 0, againErr);
        Assert.Contains("1 cells run now, all 3 done", againOutput);
        Assert.True(File.Exists(Path.Combine(results, "ccl.json")));
        Assert.Equal("", File.ReadAllText(lockFile));   // emptied when the cell was done
        var (statusCode, _, statusErr) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder, "--threads", "1");
        Assert.Equal(2, statusCode);
        Assert.Contains("--threads applies to experiment run", statusErr);
    }

    [Fact]
    public void Status_counts_the_live_runners_and_reads_their_thread_count_only_from_a_segment_they_wrote()
    {
        string path = Spec("name: live\nbase: {epochs: 2}\ngrid:\n  loss: [mml, ccl, bpr, sl]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder, "--threads", "1").Code);
        string runs = Path.Combine(Folder, "runs", "live-smoke");
        // ccl and bpr are being trained (their results not yet written; their checkpoints' last segment, on one thread,
        // is the holder's: it started after the lock was taken); sl is left.
        foreach (string cell in new[] { "ccl", "bpr", "sl" })
        {
            File.Delete(Path.Combine(runs, "results", cell + ".json"));
        }
        Directory.Delete(Path.Combine(runs, "sl"), recursive: true);
        string[] locks = [Path.Combine(runs, "ccl", ".running"), Path.Combine(runs, "bpr", ".running")];
        foreach (string file in locks)
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-1));
        }
        using (FileStream ccl = new(locks[0], FileMode.Open, FileAccess.ReadWrite, FileShare.None), bpr = new(locks[1], FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var (code, output, err) = Cli.Run("experiment", "status", path, path, "--smoke", "--experiments", Folder);
            Assert.True(code == 0, err);
            Assert.Contains("all 1 specs", output);                          // the spec named twice counts once
            Assert.Contains("running  ccl", output);
            Assert.Contains("with the 2 runners training now side by side", output);
            Assert.Contains("trained on 1 thread like the live runners", output);
        }
        // Locks taken after the checkpoints were written: their last segments are earlier processes', so the live
        // runners' thread count is unknown (and one holder is no pair of runners).
        using (FileStream ccl = new(locks[0], FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            ccl.Write("1\n"u8);
            ccl.Flush();
            var (_, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
            Assert.Contains("running  ccl", output);
            Assert.DoesNotContain("like the live runners", output);
            Assert.DoesNotContain("wall-clock", output);
        }
    }

    [Fact]
    public void A_cell_another_spec_has_trained_with_the_same_data_and_options_takes_its_result()
    {
        string first = Spec("name: first\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [mml, ccl]\n");
        string second = Spec("name: second\nbase: {epochs: 2}\ngrid:\n  loss: [ccl, bpr]\n  \"@v\": [a]\nper:\n  - {when: {loss: ccl}, set: {eval-every: 1}}\n");
        string third = Spec("name: third\nbase: {epochs: 2, eval-every: 1, lr: 0.01}\ngrid:\n  loss: [ccl]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", first, "--smoke", "--experiments", Folder).Code);
        var (code, output, err) = Cli.Run("experiment", "status", second, "--smoke", "--experiments", Folder);
        Assert.Contains("reuse    ccl_a", output);
        Assert.Contains("the same training as first/ccl: run takes its result", output);
        Assert.Contains("2 epochs left", output);                  // bpr_a's only
        (code, output, err) = Cli.Run("experiment", "run", second, "--smoke", "--experiments", Folder);
        Assert.True(code == 0, err);
        Assert.Contains("ccl_a: the same training as first/ccl (identical data and options): its result reused", output);
        Assert.Contains("bpr_a: train", output);
        Assert.Contains("1 cells run now, 1 taken from other specs, all 2 done", output);
        string Result(string spec, string cell) => File.ReadAllText(Path.Combine(Folder, "runs", spec + "-smoke", "results", cell + ".json"));
        using (JsonDocument copy = JsonDocument.Parse(Result("second", "ccl_a")), source = JsonDocument.Parse(Result("first", "ccl")))
        {
            Assert.Equal("first/ccl", copy.RootElement.GetProperty("reusedFrom").GetString());
            Assert.Equal("second", copy.RootElement.GetProperty("spec").GetString());
            Assert.Equal(source.RootElement.GetProperty("epochs").GetRawText(), copy.RootElement.GetProperty("epochs").GetRawText());
        }

        // Another option (lr) is another training; --no-reuse trains even an identical one.
        (code, output, _) = Cli.Run("experiment", "run", third, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("ccl: train", output);
        string fourth = Spec("name: fourth\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [ccl]\n");
        (code, output, _) = Cli.Run("experiment", "run", fourth, "--smoke", "--experiments", Folder, "--no-reuse");
        Assert.Equal(0, code);
        Assert.Contains("ccl: train", output);
        Assert.DoesNotContain("reusedFrom", Result("fourth", "ccl"));
    }

    [Fact]
    public void A_cell_evaluated_less_often_takes_a_denser_result_with_only_its_own_evaluations_and_selections()
    {
        string dense = Spec("name: dense\nbase: {epochs: 5, eval-every: 1}\ngrid:\n  loss: [ccl, bpr]\n");
        string sparse = Spec("name: sparse\nbase: {epochs: 5, eval-every: 2}\ngrid:\n  loss: [ccl]\n");
        string trained = Spec("name: trained\nbase: {epochs: 5, eval-every: 2}\ngrid:\n  loss: [ccl]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", dense, "--smoke", "--experiments", Folder).Code);
        var (code, output, err) = Cli.Run("experiment", "status", sparse, "--smoke", "--experiments", Folder);
        Assert.True(code == 0, err);
        Assert.Contains("the same training as dense/ccl (evaluated every 1; every 2 kept): run takes its result", output);
        (code, output, err) = Cli.Run("experiment", "run", sparse, "--smoke", "--experiments", Folder);
        Assert.True(code == 0, err);
        Assert.Contains("the same data and options, evaluated every 1 epoch: its evaluations every 2 epochs and the last kept", output);
        Assert.Equal(0, Cli.Run("experiment", "run", trained, "--smoke", "--experiments", Folder, "--no-reuse").Code);

        // The copy holds what training it with eval-every 2 gives: evaluations at 2, 4 and 5, and the same selections.
        JsonElement Result(string spec) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "runs", spec + "-smoke", "results", "ccl.json"))).RootElement;
        JsonElement copy = Result("sparse"), own = Result("trained");
        Assert.Equal("dense/ccl", copy.GetProperty("reusedFrom").GetString());
        Assert.Equal("2", copy.GetProperty("options").GetProperty("eval-every").GetString());
        string[] Tests(JsonElement r) => [.. r.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("test").GetRawText())];
        Assert.Equal(Tests(own), Tests(copy));
        Assert.Equal(3, Tests(copy).Count(t => t != "null"));
        Assert.Equal(own.GetProperty("selections").GetRawText(), copy.GetProperty("selections").GetRawText());
        Assert.Equal(5, Tests(Result("dense")).Count(t => t != "null"));     // the source is left as it was

        // A multiple of the source's: reused. Evaluating more often than the source, at epochs it did not evaluate, or
        // with early stopping (whose patience counts evaluations): trained.
        (code, output, _) = Cli.Run("experiment", "run", Spec("name: every3\nbase: {epochs: 5, eval-every: 3}\ngrid:\n  loss: [ccl]\n"), "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("the same training as dense/ccl", output);
        string Patient(string name, int every) => Spec($"name: {name}\nbase: {{epochs: 5, eval-every: {every}, patience: 1, select-on: test}}\ngrid:\n  loss: [bpr]\n");
        Assert.Equal(0, Cli.Run("experiment", "run", Spec("name: sparser\nbase: {epochs: 5, eval-every: 2, lr: 0.01}\ngrid:\n  loss: [ccl]\n"), "--smoke", "--experiments", Folder).Code);
        Assert.Equal(0, Cli.Run("experiment", "run", Patient("patient1", 1), "--smoke", "--experiments", Folder).Code);
        string[] trainedAnew =
        [
            Spec("name: odd\nbase: {epochs: 5, eval-every: 3, lr: 0.01}\ngrid:\n  loss: [ccl]\n"),
            Spec("name: denser\nbase: {epochs: 5, eval-every: 1, lr: 0.01}\ngrid:\n  loss: [ccl]\n"),
            Patient("patient2", 2),
        ];
        foreach (string path in trainedAnew)
        {
            (code, output, err) = Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder);
            Assert.True(code == 0, err);
            Assert.Contains(": train", output);
            Assert.DoesNotContain("the same training", output);
        }
    }

    [Fact]
    public void Keeping_every_third_evaluation_selects_again_among_the_kept_ones()
    {
        JsonObject Metrics(double recall) => new() { ["recall@20"] = recall, ["ndcg@20"] = recall / 2 };
        var epochs = new JsonArray([.. new[] { 0.30, 0.10, 0.20, 0.25, 0.15, 0.20, 0.05 }.Select((r, i) => (JsonNode)new JsonObject
        {
            ["epoch"] = i + 1,
            ["test"] = Metrics(r),
            ["validation"] = Metrics(1 - r),
        })]);
        JsonArray selections = ExperimentRunner.KeepEvaluations(epochs, 3);
        Assert.Equal([3, 6, 7], epochs.Where(e => e!["test"] is not null).Select(e => (int)e!["epoch"]!));
        Assert.All(epochs.Where(e => e!["test"] is null), e => Assert.Null(e!["validation"]));
        Assert.Equal(["last", "best-validation", "best-test (test-selected: optimistic)"], selections.Select(s => (string)s!["selection"]!));
        Assert.Equal([7, 7, 3], selections.Select(s => (int)s!["epoch"]!));       // epoch 1's 0.30 is gone; 3 ties 6, the first kept
        Assert.Equal(0.20, (double)selections[2]!["test"]!["recall@20"]!);
    }

    [Fact]
    public void A_result_is_reused_only_from_the_same_data_folder_and_odd_files_beside_it_are_ignored()
    {
        // Two copies of one small data set under two roots: same name, same content, other folders.
        var rng = new Random(3);
        string train = string.Join("\n", Enumerable.Range(0, 40).Select(u => $"{u} {string.Join(" ", Enumerable.Range(0, 6).Select(_ => rng.Next(60)).Distinct())}")) + "\n";
        string test = string.Join("\n", Enumerable.Range(0, 40).Select(u => $"{u} {rng.Next(60)}")) + "\n";
        foreach (string root in new[] { "rootA", "rootB" })
        {
            Directory.CreateDirectory(Path.Combine(Folder, root, "tiny"));
            File.WriteAllText(Path.Combine(Folder, root, "tiny", "train.txt"), train);
            File.WriteAllText(Path.Combine(Folder, root, "tiny", "test.txt"), test);
        }
        string first = Spec("name: one\nbase: {epochs: 1, negatives: 3, dim: 8}\ngrid:\n  data: [tiny]\n");
        string second = Spec("name: two\nbase: {epochs: 1, negatives: 3, dim: 8}\ngrid:\n  data: [tiny]\n  \"@x\": [a]\n");
        var (code, _, err) = Cli.Run("experiment", "run", first, "--experiments", Folder, "--data-root", Path.Combine(Folder, "rootA"));
        Assert.True(code == 0, err);
        using (JsonDocument result = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "results", "one", "tiny.json"))))
        {
            Assert.Equal(Path.Combine(Folder, "rootA", "tiny"), result.RootElement.GetProperty("dataPath").GetString());
            Assert.Equal(16, result.RootElement.GetProperty("dataFingerprint").GetString()!.Length);
        }
        // Files that are not cell results, in the results folders reuse reads: skipped, never a crash.
        File.WriteAllText(Path.Combine(Folder, "results", "one", "odd.json"), "{\"options\": {}, \"epochs\": [], \"smoke\": false, \"grid\": [1]}");
        File.WriteAllText(Path.Combine(Folder, "results", "one", "junk.json"), "not json");

        (code, string output, err) = Cli.Run("experiment", "run", second, "--experiments", Folder, "--data-root", Path.Combine(Folder, "rootB"));
        Assert.True(code == 0, err);
        Assert.Contains("tiny_a: train", output);                       // another folder: trained
        File.Delete(Path.Combine(Folder, "results", "two", "tiny_a.json"));
        Directory.Delete(Path.Combine(Folder, "runs", "two"), recursive: true);
        (code, output, err) = Cli.Run("experiment", "run", second, "--experiments", Folder, "--data-root", Path.Combine(Folder, "rootA"));
        Assert.True(code == 0, err);
        Assert.Contains("tiny_a: the same training as one/tiny", output);
    }

    [Fact]
    public void Noisy_negatives_as_a_sampling_weight_are_drawn_against_the_weight()
    {
        string path = Spec("name: weighted\nbase: {epochs: 1}\ngrid:\n  loss: [bpr]\n  \"@noise\": [none, neg0, neg3]\nper:\n  - {when: {\"@noise\": neg0}, set: {false-negative-weight: 0}}\n  - {when: {\"@noise\": neg3}, set: {false-negative-weight: 3}}\n");
        Assert.Equal(0, Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder).Code);
        string report = Path.Combine(Folder, "report");
        var (code, _, err) = Cli.Run("report", path, "--smoke", "--experiments", Folder, "--out", report);
        Assert.True(code == 0, err);
        string svg = File.ReadAllText(Path.Combine(report, "figures", "weighted-generated-neg-noise.svg"));
        Assert.Contains("sampling weight of the user", svg);        // a weighted spec's axis (the apostrophe is escaped)
        Assert.DoesNotContain("share of negatives", svg);
        Assert.Contains("noisy positives per true positive", File.ReadAllText(Path.Combine(report, "figures", "weighted-generated-pos-noise.svg")));
    }

    [Fact]
    public void The_report_holds_a_table_and_the_figures_of_every_spec_as_inline_svg_and_files()
    {
        string path = Spec("name: rep\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [mml, ccl]\n  negatives: [5, 10]\n  \"@noise\": [none, neg0.2, pos0.1]\nper:\n  - {when: {\"@noise\": neg0.2}, set: {false-negative-ratio: 0.2}}\n  - {when: {\"@noise\": pos0.1}, set: {noisy-positive-ratio: 0.1}}\npublished:\n  - {when: {loss: ccl, negatives: \"10\", \"@noise\": none}, recall: 0.05, ndcg: 0.04, source: paper}\n");
        Assert.Equal(0, Cli.Run("experiment", "run", path, "--smoke", "--experiments", Folder).Code);
        string report = Path.Combine(Folder, "report");
        var (code, output, err) = Cli.Run("report", path, "--smoke", "--experiments", Folder, "--out", report);
        Assert.True(code == 0, err);
        Assert.Contains("12 finished cells", output);
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("<table>", html);
        string[] figures = [.. Directory.GetFiles(Path.Combine(report, "figures"), "*.svg").Select(Path.GetFileNameWithoutExtension).Order()!];
        // learning curves, Recall@20 against negatives, against noisy negatives and noisy positives
        Assert.Equal(["rep-generated-curves", "rep-generated-neg-noise", "rep-generated-negatives", "rep-generated-pos-noise"], figures);
        Assert.Equal(figures.Length, html.Split("<figure>").Length - 1);
        Assert.Equal(figures.Length, html.Split("<svg").Length - 1);
        Assert.All(figures, f => Assert.True(new FileInfo(Path.Combine(report, "figures", f + ".png")).Length > 1000));
        // The published figure is drawn beside its measured point, in the negatives figure only.
        Assert.Contains("ccl none: published", File.ReadAllText(Path.Combine(report, "figures", "rep-generated-negatives.svg")));
        Assert.DoesNotContain("published", File.ReadAllText(Path.Combine(report, "figures", "rep-generated-curves.svg")));
    }
}
