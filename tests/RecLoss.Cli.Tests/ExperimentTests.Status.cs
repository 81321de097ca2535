namespace RecLoss.Cli.Tests;

/// <summary>`experiment status`: what is done, running and left, and the time it takes.</summary>
public partial class ExperimentTests
{
    [Fact]
    public void Status_of_a_half_finished_spec_says_what_is_left_and_the_time_it_takes()
    {
        string path = Spec("name: half\nbase: {epochs: 2}\ngrid:\n  loss: [mml, ccl, bpr]\n");
        Assert.Equal(0, RunSmoke(path).Code);
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
    public void Status_refuses_a_cell_that_run_would_refuse_naming_it_and_makes_no_folder()
    {
        string path = Spec("name: wrong\nbase: {epochs: 2}\ngrid:\n  loss: [mml, nosuch]\n");
        var (code, output, err) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(2, code);
        Assert.Contains("cell nosuch: --loss: 'nosuch' is not a loss", err);
        Assert.DoesNotContain("epochs left", output);   // no time for a grid that cannot run
        Assert.False(Directory.Exists(Path.Combine(Folder, "runs")));
    }

    [Fact]
    public void Status_checks_a_cell_on_real_data_when_its_folder_is_there_and_leaves_it_to_run_when_not()
    {
        string path = Spec("name: real\nbase: {epochs: 2, loss: nosuch}\ngrid:\n  data: [tiny]\n");
        var (code, output, err) = Cli.Run("experiment", "status", path, "--experiments", Folder, "--data-root", Path.Combine(Folder, "absent"));
        Assert.True(code == 0, err);                                   // no data here: checked when it runs
        Assert.Contains("left     tiny", output);
        Directory.CreateDirectory(Path.Combine(Folder, "data", "tiny"));
        (code, _, err) = Cli.Run("experiment", "status", path, "--experiments", Folder, "--data-root", Path.Combine(Folder, "data"));
        Assert.Equal(2, code);
        Assert.Contains("cell tiny: --loss: 'nosuch' is not a loss", err);
    }

    [Fact]
    public void A_spec_cannot_set_an_option_the_runner_sets_for_every_cell()
    {
        string path = Spec("name: owned\nbase: {epochs: 2, threads: 2}\ngrid:\n  loss: [mml]\n");
        var (code, _, err) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(3, code);                                          // a spec error, at its line
        Assert.Contains(":2: base: 'threads' is not a spec option: experiment run sets", err);
    }

    [Fact]
    public void Status_times_a_started_cell_by_its_own_epochs_when_no_cell_has_finished()
    {
        string path = Spec("name: own\nbase: {epochs: 2}\ngrid:\n  loss: [ccl]\n");
        Assert.Equal(0, RunSmoke(path).Code);
        File.Delete(Path.Combine(Folder, "runs", "own-smoke", "results", "ccl.json"));
        File.WriteAllText(path, "name: own\nbase: {epochs: 5}\ngrid:\n  loss: [ccl]\n");   // its checkpoint is at 2 of 5 now
        var (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("stopped  ccl", output);
        Assert.Contains("epoch    2 / 5", output);
        Assert.Contains("3 epochs left: about", output);
        Assert.DoesNotContain("no finished or started cell", output);
    }

    [Fact]
    public void Status_times_a_cell_not_started_by_a_started_one_alike_when_none_has_finished()
    {
        string path = Spec("name: alike\nbase: {epochs: 2}\ngrid:\n  seed: [1, 2]\n");
        Assert.Equal(0, RunSmoke(path).Code);
        string runs = Path.Combine(Folder, "runs", "alike-smoke");
        File.Delete(Path.Combine(runs, "results", "1.json"));
        File.Delete(Path.Combine(runs, "results", "2.json"));
        Directory.Delete(Path.Combine(runs, "2"), recursive: true);
        File.WriteAllText(path, "name: alike\nbase: {epochs: 5}\ngrid:\n  seed: [1, 2]\n");   // seed 1 at 2 of 5, seed 2 not started
        var (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("stopped  1", output);
        Assert.Contains("left     2", output);
        Assert.Contains("8 epochs left: about", output);
        Assert.DoesNotContain("no finished or started cell", output);   // seed 2 is timed by seed 1's epochs
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
        Assert.Equal(0, RunSmoke(first, "--cells", "mml").Code);
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
        Assert.Equal(0, RunSmoke(a).Code);
        Assert.Equal(0, RunSmoke(b, "--no-reuse").Code);
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
    public void Status_counts_the_live_runners_and_reads_their_thread_count_only_from_a_segment_they_wrote()
    {
        string path = Spec("name: live\nbase: {epochs: 2}\ngrid:\n  loss: [mml, ccl, bpr, sl]\n");
        Assert.Equal(0, RunSmoke(path, "--threads", "1").Code);
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
}
