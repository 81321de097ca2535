using System.Text.Json;
using RecLoss.Cli;

namespace RecLoss.Cli.Tests;

public sealed class CommandLineTests : WithTempFolder
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.Run(args);

    [Theory]
    [InlineData("--margins", "0.6,0.7", "--margin-weights", "1", "give one weight per margin")]
    [InlineData("--lr", "-1", "--epochs", "1", "--lr: -1 is out of range")]
    [InlineData("--ks", "0,20", "--epochs", "1", "--ks: 0 is out of range")]
    [InlineData("--margin", "0.5", "--epochs", "1", "--margin does not apply to --loss mml")]
    [InlineData("--loss", "nope", "--epochs", "1", "'nope' is not a loss")]
    [InlineData("--epochs", "two", "--seed", "1", "--epochs: 'two' is not an integer")]
    [InlineData("--bogus", "1", "--epochs", "1", "does not take --bogus")]
    [InlineData("--loss", "bsl", "--margin", "0.5", "--margin does not apply to --loss bsl (it is an option of ccl, hinge, contrastive, triplet)")]
    [InlineData("--loss", "sl", "--temperature", "0", "--temperature: 0 is out of range")]
    [InlineData("--loss", "contrastive", "--margin", "3", "--margin: 3 is out of range")]
    [InlineData("--loss", "triplet", "--score", "dot", "--score dot does not apply to --loss triplet: it is defined on cosine scores only")]
    [InlineData("--loss", "generalized", "--aggregation", "max", "--aggregation: 'max' is not one of mean, sum, softmax")]
    [InlineData("--loss", "bpr", "--temperature", "0.1", "--temperature does not apply to --loss bpr")]
    [InlineData("--loss", "mml", "--gamma", "1", "--gamma does not apply to --loss mml (it is an option of simce)")]
    [InlineData("--popularity-alpha", "0.5", "--epochs", "1", "--popularity-alpha applies only when --sampler includes popularity")]
    [InlineData("--sampler", "popularity", "--popularity-alpha", "11", "--popularity-alpha: 11 is out of range")]
    [InlineData("--sampler", "easy", "--epochs", "1", "--sampler: 'easy' is not a sampler (expected uniform, popularity, in-batch, in-batch-all or hard")]
    [InlineData("--sampler", "hard:0.5,uniform", "--epochs", "1", "--sampler: 'uniform' in a mixture needs a share, e.g. uniform:0.5")]
    [InlineData("--sampler", "hard:x", "--epochs", "1", "--sampler: 'hard:x' is not NAME:SHARE with a number as the share")]
    [InlineData("--sampler", "hard:0.5,uniform:0.4", "--epochs", "1", "--sampler: The sampler shares must sum to 1; they sum to 0.9")]
    [InlineData("--hard-candidates", "50", "--epochs", "1", "--hard-candidates applies only when --sampler includes hard")]
    [InlineData("--sampler", "hard", "--hard-candidates", "5", "--hard-candidates 5 is fewer than the 100 hard negatives kept per row")]
    [InlineData("--sampler", "in-batch", "--draw-negatives", "per-epoch", "in-batch and hard negatives are drawn per batch")]
    // The demo data's 71,687 train rows: 982 x 73 + 1, so the last batch would hold one row (checked before training).
    [InlineData("--sampler", "in-batch-all", "--batch-size", "982", "--batch-size 982: the epoch's 71,687 train rows leave a last batch of one row, which has no other row's positive for --sampler in-batch-all; use a --batch-size that leaves another remainder (e.g. 983)")]
    [InlineData("--draw-negatives", "sometimes", "--epochs", "1", "--draw-negatives: 'sometimes' is not a timing (expected per-batch or per-epoch)")]
    [InlineData("--noisy-positive-ratio", "-1", "--epochs", "1", "--noisy-positive-ratio: -1 is out of range")]
    [InlineData("--patience", "2", "--epochs", "3", "--patience watches the validation split, but there is none")]
    [InlineData("--select-on", "train", "--patience", "1", "--select-on: 'train' is not a split (expected validation or test)")]
    [InlineData("--select-metric", "mrr", "--epochs", "1", "--select-metric: 'mrr' is not a selection metric (expected recall or ndcg)")]
    [InlineData("--plateau-factor", "0.1", "--plateau-min-lr", "1e-3", "--plateau-min-lr 0.001 is not below the learning rate 0.0001, so the schedule could never cut it")]
    [InlineData("--plateau-min-lr", "1e-5", "--epochs", "1", "--plateau-min-lr floors the rate the plateau schedule lowers, so it needs --plateau-factor F")]
    [InlineData("--plateau-factor", "1", "--epochs", "1", "--plateau-factor: 1 is out of range (expected")]
    [InlineData("--plateau-factor", "0.1", "--plateau-min-lr", "-1", "--plateau-min-lr: -1 is out of range")]
    [InlineData("--plateau-factor", "0.1", "--epochs", "3", "--plateau-factor watches the validation split, but there is none: add --validation-ratio R or use --select-on test")]
    public void Train_InvalidOption_ExitsTwoWithMessage(string a, string b, string c, string d, string expected)
    {
        (int code, _, string err) = Run("train", a, b, c, d);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Train_MalformedData_ExitsThreeNamingTheLine()
    {
        string dir = SplitFolder("0 1 2\n1 2 oops\n", "0 3\n");
        (int code, _, string err) = Run("train", "--data", dir, "--epochs", "1");
        Assert.Equal(3, code);
        Assert.Contains("train.txt:2:", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Stats_SplitFolder_PrintsCounts()
    {
        string dir = SplitFolder("0 1 2\n1 2\n", "0 3\n1 0\n");
        (int code, string output, _) = Run("stats", "--data", dir);
        Assert.Equal(0, code);
        Assert.Contains("users                    2", output);
        Assert.Contains("interactions             5", output);
    }

    [Fact]
    public void Stats_DelimitedOptionOnFolder_IsRejected()
    {
        string dir = SplitFolder("0 1\n", "0 2\n");
        (int code, _, string err) = Run("stats", "--data", dir, "--rating-column", "r");
        Assert.Equal(2, code);
        Assert.Contains("--rating-column applies to a delimited file", err);
    }

    [Fact]
    public void Train_GeneratedData_WritesRunRecord()
    {
        string outDir = Path.Combine(Folder, "run");
        (int code, string output, string err) = Run("train", "--epochs", "2", "--negatives", "10", "--batch-size", "1024", "--lr", "1e-3", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("most-popular", output);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        JsonElement root = json.RootElement;
        Assert.Equal("mml", root.GetProperty("loss").GetString());
        Assert.Equal(2, root.GetProperty("epochs").GetArrayLength());
        Assert.Equal(10, root.GetProperty("config").GetProperty("negatives").GetInt32());
        Assert.Equal(16, root.GetProperty("data").GetProperty("fingerprint").GetString()!.Length);
        JsonElement final = root.GetProperty("final");
        Assert.Equal("last", final[0].GetProperty("selection").GetString());
        Assert.True(final[0].GetProperty("test").GetProperty("recall@20").GetDouble() > 0);
        Assert.False(File.Exists(Path.Combine(outDir, "run.json.tmp")));
    }

    [Fact]
    public void Train_DelimitedFileWithValidation_ReportsBestValidation()
    {
        var lines = new List<string> { "user,item,stamp" };
        for (int u = 0; u < 40; u++)
        {
            for (int i = 0; i < 12; i++)
            {
                lines.Add($"u{u},i{(u * 7 + i * 3) % 50},{i}");
            }
        }
        string path = Path.Combine(Folder, "log.csv");
        File.WriteAllLines(path, lines);
        (int code, string output, string err) = Run("train", "--data", path, "--user-column", "user", "--item-column", "item",
            "--timestamp-column", "stamp", "--split", "temporal", "--validation-ratio", "0.2", "--epochs", "2", "--negatives", "5", "--ks", "5,20");
        Assert.True(code == 0, err);
        Assert.Contains("best-validation", output);
        Assert.Contains("test-selected", output);
    }

    [Fact]
    public void Losses_ListsEveryLossWithItsOptions()
    {
        (int code, string output, _) = Run("losses");
        Assert.Equal(0, code);
        foreach (string name in new[] { "mml", "ccl", "bpr", "bce", "mse", "hinge", "contrastive", "triplet", "ssm", "sl", "bsl", "simce", "generalized" })
        {
            Assert.Contains($"\n  {name} ", output);
        }
        Assert.Contains("--temperature-negative", output);
        Assert.Contains("SimCE paper Eq. 7", output);
    }

    [Theory]
    [InlineData("infonce", "--temperature", "0.5", "loss ssm temperature 0.5")]
    [InlineData("bsl", "--pool-positives", null, "positives pooled per user in the batch")]
    [InlineData("bsl", "--dropout-before-norm", null, "dropout 0.1 before normalising")]
    [InlineData("simce", "--gamma", "5", "model MF dim 64 dot | loss simce gamma 5")]
    [InlineData("bce", "--negative-weight", "0.2", "loss bce w 0.2 |")]
    [InlineData("mml", "--sampler", "popularity", "5 negatives (popularity^1)")]
    [InlineData("mml", "--false-negative-ratio", "0.2", "5 negatives (uniform over all items, false negatives 0.2)")]
    [InlineData("mml", "--sampler", "in-batch", "5 negatives (in-batch)")]
    [InlineData("mml", "--sampler", "hard", "5 negatives (hard (top of 20 uniform candidates outside the user's items))")]
    [InlineData("mml", "--sampler", "hard:0.4,popularity:0.6", "5 negatives (hard (top of 8 uniform candidates outside the user's items) x2 + popularity^1 x3)")]
    [InlineData("mml", "--draw-negatives", "per-epoch", "5 negatives (uniform over all items, drawn once per epoch)")]
    public void Train_LossOptions_AreUsedAndEchoed(string loss, string option, string? value, string expected)
    {
        string[] args = value is null
            ? ["train", "--loss", loss, option, "--epochs", "1", "--negatives", "5", "--batch-size", "2048"]
            : ["train", "--loss", loss, option, value, "--epochs", "1", "--negatives", "5", "--batch-size", "2048"];
        (int code, string output, string err) = Run(args);
        Assert.True(code == 0, err);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void Train_NoisyPositives_AreCountedNotedAndListedInTheRunRecord()
    {
        string dir = Path.Combine(Path.GetTempPath(), "recloss-noise-" + Guid.NewGuid().ToString("N"));
        try
        {
            (int code, string output, string err) = Run("train", "--noisy-positive-ratio", "0.3", "--epochs", "1", "--negatives", "5", "--batch-size", "2048", "--out", dir);
            Assert.True(code == 0, err);
            using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
            System.Text.Json.JsonElement noise = record.RootElement.GetProperty("data").GetProperty("noisyPositives");
            int count = noise.GetProperty("count").GetInt32();
            Assert.True(count > 0);
            Assert.Equal("noisy-positives.csv", noise.GetProperty("file").GetString());
            string[] pairs = File.ReadAllLines(Path.Combine(dir, "noisy-positives.csv"));
            Assert.Equal("user,item", pairs[0]);
            Assert.Equal(count, pairs.Length - 1);
            Assert.Equal(0.3, noise.GetProperty("ratio").GetDouble());
            Assert.Contains($"{count:N0} noisy positives injected into train", output);
            // Train grew by exactly the injected pairs.
            string cleanDir = Path.Combine(dir, "clean");
            Assert.Equal(0, Run("train", "--epochs", "1", "--negatives", "5", "--batch-size", "2048", "--out", cleanDir).Code);
            using var clean = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(cleanDir, "run.json")));
            Assert.Equal(clean.RootElement.GetProperty("data").GetProperty("train").GetInt32() + count,
                record.RootElement.GetProperty("data").GetProperty("train").GetInt32());
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void Train_SelectOnTestWithPatience_LabelsTheRestoredModelTestSelected()
    {
        string outDir = Path.Combine(Folder, "select-on-test");
        (int code, string output, string err) = Run("train", "--select-on", "test", "--patience", "1", "--epochs", "4", "--lr", "3e-2",
            "--negatives", "10", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("the best-test (test-selected: optimistic) epoch", output);
        string record = File.ReadAllText(Path.Combine(outDir, "run.json"));
        Assert.Contains("\"restored\"", record);
        Assert.Contains("test (test-selected: optimistic)", record);
    }

    [Fact]
    public void Train_WithAPlateauSchedule_RecordsEachEpochsRateAndTheSchedule()
    {
        string outDir = Path.Combine(Folder, "plateau");
        (int code, string output, string err) = Run("train", "--select-on", "test", "--select-metric", "ndcg", "--plateau-factor", "0.5", "--plateau-min-lr", "1e-5", "--epochs", "2",
            "--lr", "3e-2", "--negatives", "10", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("lr 0.03 (x0.5 on a test plateau, floor 1E-05)", output);
        using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        Assert.All(record.RootElement.GetProperty("epochs").EnumerateArray(), e => Assert.Equal(3e-2, e.GetProperty("lr").GetDouble()));
        Assert.Equal(0.5, record.RootElement.GetProperty("config").GetProperty("plateauFactor").GetDouble());
        Assert.Equal(1e-5, record.RootElement.GetProperty("config").GetProperty("plateauMinLr").GetDouble());
        Assert.Equal("ndcg", record.RootElement.GetProperty("config").GetProperty("selectMetric").GetString());
    }

    [Fact]
    public void Train_init_from_a_checkpoint_whose_schedule_cut_the_rate_goes_on_at_the_cut_rate()
    {
        // On the demo data at lr 0.05 test Recall@20 first stalls at epoch 25, so epoch 26 trains at half the rate.
        string first = Path.Combine(Folder, "cut"), checkpoints = Path.Combine(Folder, "cut-checkpoints"), next = Path.Combine(Folder, "after-cut");
        string[] schedule = ["--select-on", "test", "--plateau-factor", "0.5", "--lr", "5e-2", "--negatives", "10", "--threads", "1"];
        (int code, _, string err) = Run(["train", .. schedule, "--epochs", "27", "--checkpoint", checkpoints, "--out", first]);
        Assert.True(code == 0, err);
        double[] rates = Rates(first);
        Assert.Equal(5e-2, rates[0]);
        Assert.Equal(2.5e-2, rates[^1]);   // the precondition: the schedule cut once

        (code, _, err) = Run(["train", .. schedule, "--epochs", "2", "--init", Path.Combine(checkpoints, "checkpoint.rlm"), "--out", next]);
        Assert.True(code == 0, err);
        Assert.Contains("plateau schedule had cut the learning rate to 0.025", err);
        Assert.Equal(2.5e-2, Rates(next)[0]);

        static double[] Rates(string folder)
        {
            using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json")));
            return [.. record.RootElement.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("lr").GetDouble())];
        }
    }

    [Fact]
    public void Help_ListsCommands()
    {
        (int code, string output, _) = Run("help");
        Assert.Equal(0, code);
        Assert.Contains("demo", output);
        Assert.Contains("stats", output);
    }
}
