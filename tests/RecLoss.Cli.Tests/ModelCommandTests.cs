using System.Text.Json;
using RecLoss.Core.Models;
using RecLoss.Core.Serving;

namespace RecLoss.Cli.Tests;

public class ModelCommandTests : WithTempFolder
{
    /// <summary>A CSV data set with string ids (so the ids in and out are the file's, not indices).</summary>
    private string Data()
    {
        var lines = new List<string> { "user_id,item_id" };
        var rng = new Random(4);
        for (int u = 0; u < 60; u++)
        {
            foreach (int i in Enumerable.Range(0, 40).OrderBy(_ => rng.Next()).Take(6 + u % 5))
            {
                lines.Add($"u{u},item-{(i * 7 + u % 3) % 40}");
            }
        }
        return Csv(string.Join("\n", lines.Distinct()));
    }

    private (string Data, string Out) Train(params string[] extra)
    {
        string data = Data(), folder = Path.Combine(Folder, "run");
        var (code, _, err) = Cli.Run(["train", "--data", data, "--epochs", "3", "--dim", "8", "--negatives", "5", "--batch-size", "32", "--out", folder, .. extra]);
        Assert.True(code == 0, err);
        return (data, folder);
    }

    [Fact]
    public void Evaluate_on_the_training_data_prints_what_training_printed_for_the_last_epoch()
    {
        (string data, string folder) = Train();
        string model = Path.Combine(folder, "model.rlm");
        Assert.True(File.Exists(model));
        using JsonDocument run = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json")));
        JsonElement last = run.RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("test");
        var (code, output, err) = Cli.Run("evaluate", "--model", model, "--data", data, "--ks", "20");
        Assert.True(code == 0, err);
        Assert.Contains("the data the model was trained on", output);
        string recall = last.GetProperty("recall@20").GetDouble().ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"| {recall} |", output);
    }

    [Fact]
    public void Recommend_prints_the_file_ids_and_equals_the_library_ranking()
    {
        (_, string folder) = Train();
        string model = Path.Combine(folder, "model.rlm");
        var (code, output, err) = Cli.Run("recommend", "--model", model, "--user", "u7", "--k", "5", "--format", "csv");
        Assert.True(code == 0, err);
        string[] rows = output.Trim().Split('\n')[1..];
        Assert.Equal(5, rows.Length);

        TrainedModel loaded = ModelFile.Load(model);
        Assert.True(loaded.Users.TryGetIndex("u7", out int u7));
        Recommendations expected = new Recommender(loaded).ForUser(u7, new RecommendOptions { K = 5 });
        Assert.Equal(expected.Items.Select(i => loaded.Items[i.Item]), rows.Select(r => r.Split(',')[2]));
        Assert.All(rows, r => Assert.StartsWith("u7,", r));
        Assert.Empty(rows.Select(r => r.Split(',')[2]).Intersect(loaded.Seen.Row(u7).ToArray().Select(i => loaded.Items[i])));
    }

    [Fact]
    public void All_users_stream_K_rows_each_and_a_new_user_is_scored_from_her_history()
    {
        (_, string folder) = Train();
        string model = Path.Combine(folder, "model.rlm"), csv = Path.Combine(Folder, "all.csv");
        var (code, _, err) = Cli.Run("recommend", "--model", model, "--all", "--k", "3", "--output", csv);
        Assert.True(code == 0, err);
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal("user,rank,item,score", lines[0]);
        Assert.Equal(60 * 3, lines.Length - 1);

        (code, string output, err) = Cli.Run("recommend", "--model", model, "--history", "item-1,item-2,item-3", "--k", "4", "--format", "jsonl");
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        string[] items = [.. doc.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!)];
        Assert.Equal(4, items.Length);
        Assert.DoesNotContain("item-1", items);
        Assert.Contains("new user", err);
    }

    [Fact]
    public void Similar_items_leave_the_item_out()
    {
        (_, string folder) = Train();
        var (code, output, err) = Cli.Run("similar", "--model", Path.Combine(folder, "model.rlm"), "--item", "item-5", "--k", "3");
        Assert.True(code == 0, err);
        Assert.Equal(3, output.Split('\n').Count(l => l.TrimStart().StartsWith("1 ") || l.TrimStart().StartsWith("2 ") || l.TrimStart().StartsWith("3 ")));
        Assert.DoesNotContain(" item-5 ", output.Split('\n', 2)[1]);
    }

    [Fact]
    public void Bad_model_files_and_unknown_ids_get_one_line_and_their_exit_code()
    {
        (_, string folder) = Train();
        string model = Path.Combine(folder, "model.rlm");
        var (code, _, err) = Cli.Run("recommend", "--model", model, "--user", "nobody");
        Assert.Equal(2, code);
        Assert.Contains("user 'nobody' is not in the model", err);

        (code, _, err) = Cli.Run("similar", "--model", model, "--item", "nothing");
        Assert.Equal(2, code);
        Assert.Contains("item 'nothing' is not in the model", err);

        byte[] bytes = File.ReadAllBytes(model);
        string truncated = Path.Combine(Folder, "truncated.rlm");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        (code, _, err) = Cli.Run("recommend", "--model", truncated, "--user", "u1");
        Assert.Equal(3, code);
        Assert.Contains("truncated", err);
        Assert.Contains(truncated, err);

        (code, _, err) = Cli.Run("recommend", "--model", Path.Combine(folder, "run.json"), "--user", "u1");
        Assert.Equal(3, code);
        Assert.Contains("not a RecLoss model file", err);

        (code, _, err) = Cli.Run("recommend", "--model", model);
        Assert.Equal(2, code);
        Assert.Contains("--user ID, --users FILE, --all, or --history", err);
    }

    [Fact]
    public void Save_refuses_to_replace_a_model_without_force_before_training()
    {
        string target = Path.Combine(Folder, "m.rlm");
        File.WriteAllText(target, "keep me");
        var (code, output, err) = Cli.Run("demo", "--epochs", "1", "--save", target);
        Assert.Equal(2, code);
        Assert.Contains("exists; add --force", err);
        Assert.DoesNotContain("epoch", output);
        Assert.Equal("keep me", File.ReadAllText(target));

        (code, _, err) = Cli.Run("demo", "--epochs", "1", "--save", target, "--force");
        Assert.True(code == 0, err);
        Assert.Equal(1, ModelFile.Load(target).Header.Epoch);
    }

    [Fact]
    public void Train_init_with_the_optimizer_state_continues_exactly_and_refuses_other_data()
    {
        string whole = Path.Combine(Folder, "whole"), half = Path.Combine(Folder, "half"), rest = Path.Combine(Folder, "rest");
        Assert.Equal(0, Cli.Run("demo", "--epochs", "3", "--out", whole).Code);
        Assert.Equal(0, Cli.Run("demo", "--epochs", "1", "--out", half, "--save-optimizer").Code);
        var (code, _, err) = Cli.Run("demo", "--epochs", "2", "--init", Path.Combine(half, "model.rlm"), "--out", rest);
        Assert.True(code == 0, err);
        Assert.Contains("continuing", err);
        string Final(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json"))).RootElement
            .GetProperty("epochs").EnumerateArray().Last().GetProperty("test").EnumerateObject()
            .Where(p => p.Name != "seconds").Select(p => $"{p.Name}={p.Value.GetRawText()}").Aggregate((a, b) => a + ";" + b);
        Assert.Equal(Final(whole), Final(rest));
        Assert.Equal(ModelFile.Load(Path.Combine(whole, "model.rlm")).Factors.UserFactors, ModelFile.Load(Path.Combine(rest, "model.rlm")).Factors.UserFactors);

        (code, _, err) = Cli.Run("demo", "--epochs", "1", "--init", Path.Combine(half, "model.rlm"), "--data-seed", "7");
        Assert.Equal(3, code);
        Assert.Contains("was trained on other data", err);
        (code, _, err) = Cli.Run("demo", "--epochs", "1", "--init", Path.Combine(half, "model.rlm"), "--encoder", "simplex");
        Assert.Equal(2, code);
        Assert.Contains("fixes the encoder", err);
    }

    [Fact]
    public void A_model_beside_a_suffixed_record_takes_the_same_suffix()
    {
        string outDir = Path.Combine(Folder, "race");
        var args = new ArgumentReader([new("out", outDir)]);
        RunOutput run = RunOutput.Prepare(args)!;
        ModelOutput model = ModelOutput.Prepare(args, run)!;
        Assert.Equal(Path.Combine(run.Folder, "model.rlm"), model.Path);
        model.NameAfter(Path.Combine(run.Folder, "run.json"));
        Assert.Equal(Path.Combine(run.Folder, "model.rlm"), model.Path);
        model.NameAfter(Path.Combine(run.Folder, "run-20261201-120000-42.json"));
        Assert.Equal(Path.Combine(run.Folder, "model-20261201-120000-42.rlm"), model.Path);

        var explicitPath = new ArgumentReader([new("out", outDir), new("save", Path.Combine(Folder, "mine.rlm"))]);
        ModelOutput saved = ModelOutput.Prepare(explicitPath, RunOutput.Prepare(explicitPath))!;
        saved.NameAfter(Path.Combine(run.Folder, "run-20261201-120000-42.json"));
        Assert.Equal(Path.Combine(Folder, "mine.rlm"), saved.Path);    // --save names the file itself
    }
}
