using System.Text.Json;
using System.Text.Json.Nodes;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

/// <summary>A cell takes a finished result of the same training instead of training again.</summary>
public partial class ExperimentTests
{
    [Fact]
    public void A_cell_another_spec_has_trained_with_the_same_data_and_options_takes_its_result()
    {
        string first = Spec("name: first\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [mml, ccl]\n");
        string second = Spec("name: second\nbase: {epochs: 2}\ngrid:\n  loss: [ccl, bpr]\n  \"@v\": [a]\nper:\n  - {when: {loss: ccl}, set: {eval-every: 1}}\n");
        string third = Spec("name: third\nbase: {epochs: 2, eval-every: 1, lr: 0.01}\ngrid:\n  loss: [ccl]\n");
        Assert.Equal(0, RunSmoke(first).Code);
        var (code, output, err) = Cli.Run("experiment", "status", second, "--smoke", "--experiments", Folder);
        Assert.Contains("reuse    ccl_a", output);
        Assert.Contains("the same training as first/ccl: run takes its result", output);
        Assert.Contains("2 epochs left", output);                  // bpr_a's only
        (code, output, err) = RunSmoke(second);
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
        (code, output, _) = RunSmoke(third);
        Assert.Equal(0, code);
        Assert.Contains("ccl: train", output);
        string fourth = Spec("name: fourth\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [ccl]\n");
        (code, output, _) = RunSmoke(fourth, "--no-reuse");
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
        Assert.Equal(0, RunSmoke(dense).Code);
        var (code, output, err) = Cli.Run("experiment", "status", sparse, "--smoke", "--experiments", Folder);
        Assert.True(code == 0, err);
        Assert.Contains("the same training as dense/ccl (evaluated every 1; every 2 kept): run takes its result", output);
        (code, output, err) = RunSmoke(sparse);
        Assert.True(code == 0, err);
        Assert.Contains("the same data and options, evaluated every 1 epoch: its evaluations every 2 epochs and the last kept", output);
        Assert.Equal(0, RunSmoke(trained, "--no-reuse").Code);

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
        (code, output, _) = RunSmoke(Spec("name: every3\nbase: {epochs: 5, eval-every: 3}\ngrid:\n  loss: [ccl]\n"));
        Assert.Equal(0, code);
        Assert.Contains("the same training as dense/ccl", output);
        string Patient(string name, int every) => Spec($"name: {name}\nbase: {{epochs: 5, eval-every: {every}, patience: 1, select-on: test}}\ngrid:\n  loss: [bpr]\n");
        Assert.Equal(0, RunSmoke(Spec("name: sparser\nbase: {epochs: 5, eval-every: 2, lr: 0.01}\ngrid:\n  loss: [ccl]\n")).Code);
        Assert.Equal(0, RunSmoke(Patient("patient1", 1)).Code);
        string[] trainedAnew =
        [
            Spec("name: odd\nbase: {epochs: 5, eval-every: 3, lr: 0.01}\ngrid:\n  loss: [ccl]\n"),
            Spec("name: denser\nbase: {epochs: 5, eval-every: 1, lr: 0.01}\ngrid:\n  loss: [ccl]\n"),
            Patient("patient2", 2),
        ];
        foreach (string path in trainedAnew)
        {
            (code, output, err) = RunSmoke(path);
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
}
