using System.Text.Json.Nodes;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

/// <summary>A result trained before its spec changed: named, neither trained over nor published.</summary>
public partial class ExperimentTests
{
    [Fact]
    public void A_result_trained_before_its_spec_changed_is_stale_named_kept_and_left_out_until_moved_aside()
    {
        string path = Spec("name: edited\nbase: {epochs: 2}\ngrid:\n  loss: [bce, mse]\n");
        Assert.Equal(0, RunSmoke(path).Code);
        string results = Path.Combine(Folder, "runs", "edited-smoke", "results");
        string bce = Path.Combine(results, "bce.json");
        string before = File.ReadAllText(bce);
        File.WriteAllText(path, "name: edited\nbase: {epochs: 2}\ngrid:\n  loss: [bce, mse]\nper:\n  - when: {loss: bce}\n    set: {score: dot}\n");

        var (code, output, _) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("1 of 2 cells done, 1 stale", output);
        Assert.Contains("stale    bce: its result trained otherwise", output);
        Assert.Contains("--score: unset in the result, dot in the spec", output);

        (code, output, _) = RunSmoke(path);
        Assert.Equal(1, code);                                          // the spec could not run as it says
        Assert.Contains("bce: its result trained otherwise than the spec now says (--score: unset in the result, dot in the spec); move", output);
        Assert.Contains("0 cells run now, 1 of 2 done (1 with a stale result, named above)", output);
        Assert.Equal(before, File.ReadAllText(bce));                   // not trained over

        string err;
        (code, output, err) = Cli.Run("experiment", "table", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("table: edited: left out: bce: its result trained otherwise", err);
        Assert.DoesNotContain("| bce |", output);
        Assert.Contains("| mse |", output);

        Assert.Contains($"move {bce} aside and delete {Path.Combine(Folder, "runs", "edited-smoke", "bce", "checkpoint")} to run it as the spec says", err);
        File.Move(bce, bce + ".cosine");
        Directory.Delete(Path.Combine(Folder, "runs", "edited-smoke", "bce", "checkpoint"), recursive: true);
        (code, output, _) = RunSmoke(path);
        Assert.Equal(0, code);
        Assert.Contains("1 cells run now, all 2 done", output);
        Assert.Equal("dot", JsonNode.Parse(File.ReadAllText(bce))!["options"]!["score"]!.GetValue<string>());
    }

    [Fact]
    public void Options_differ_key_by_key_with_unset_for_an_absent_one_and_true_for_a_flag()
    {
        var spec = new Dictionary<string, string?> { ["epochs"] = "2", ["exclude-positives"] = null, ["lr"] = "1e-3" };
        Assert.Null(ExperimentRunner.OptionsDiffer(spec, JsonNode.Parse("""{"epochs": "2", "exclude-positives": "true", "lr": "1e-3"}""")));
        Assert.Null(ExperimentRunner.OptionsDiffer(spec, JsonNode.Parse("""{"epochs": "2.0", "exclude-positives": "true", "lr": 0.001}""")));   // numbers by value
        Assert.Equal("--lr: 0.002 in the result, 1e-3 in the spec",
            ExperimentRunner.OptionsDiffer(spec, JsonNode.Parse("""{"epochs": "2", "exclude-positives": "true", "lr": "0.002"}""")));
        Assert.Equal("--exclude-positives: unset in the result, true in the spec; --seed: 7 in the result, unset in the spec",
            ExperimentRunner.OptionsDiffer(spec, JsonNode.Parse("""{"epochs": "2", "lr": "1e-3", "seed": "7"}""")));
        Assert.Equal("its result records no options", ExperimentRunner.OptionsDiffer(spec, null));
    }

    [Fact]
    public void An_unreadable_result_is_stale_and_named_without_a_stack_trace()
    {
        string path = Spec("name: broken\nbase: {epochs: 2}\ngrid:\n  loss: [mse]\n");
        Assert.Equal(0, RunSmoke(path).Code);
        File.WriteAllText(Path.Combine(Folder, "runs", "broken-smoke", "results", "mse.json"), "[1, 2]");
        var (code, output, err) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder);
        Assert.Equal(0, code);
        Assert.Contains("stale    mse: its result is not a JSON object; move", output);
        Assert.DoesNotContain("delete", output);                        // its checkpoint is of the spec's options
        Assert.Equal("", err);
    }
}
