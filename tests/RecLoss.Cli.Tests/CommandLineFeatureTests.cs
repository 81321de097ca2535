using System.Text.Json;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Tests;

/// <summary>What System.CommandLine brings (help after any verb, --version, --name=value, response files, completion) and
/// the options that used to be accepted and then ignored.</summary>
public sealed class CommandLineFeatureTests : WithTempFolder
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.Run(args);

    [Theory]
    [InlineData("train")]
    [InlineData("demo")]
    [InlineData("bench")]
    [InlineData("stats")]
    [InlineData("losses")]
    [InlineData("completion")]
    [InlineData("help")]
    public void HelpAfterAnyVerb_ShowsItsUsage(string verb)
    {
        foreach (string flag in new[] { "-h", "--help" })
        {
            (int code, string output, _) = Run(verb, flag);
            Assert.Equal(0, code);
            Assert.StartsWith($"usage: recloss {verb}", output);
            Assert.All(output.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 100, line));
        }
        Assert.Equal(Run(verb, "-h").Out, Run("help", verb).Out);
    }

    [Fact]
    public void TrainHelp_GroupsOptionsBySectionInOrder()
    {
        string output = Run("train", "--help").Out;
        string[] titles = ["\ndata:", "\nmodel:", "\nloss (", "\nnegative sampling and noise:", "\ntraining:", "\nevaluation:", "\noutput:", "\ngeneral:"];
        int[] at = titles.Select(t => output.IndexOf(t, StringComparison.Ordinal)).ToArray();
        Assert.All(at, i => Assert.True(i >= 0));
        Assert.Equal(at.Order(), at);
        // Every loss option is listed with the losses that own it.
        Assert.Contains("--temperature-negative X", output);
        Assert.Contains("loss ssm, sl, bsl", output);
        Assert.Contains("(the reference code\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void DemoHelp_ShowsTheDemoDefaults_NotTrains()
    {
        string output = Run("demo", "-h").Out;
        Assert.Contains("epochs (default 20)", output);
        Assert.Contains("(default 256)", output);
        Assert.Contains("Adam learning rate, > 0 (default 1e-3)", output);
        Assert.Contains("evaluate every N epochs (default 5)", output);
        Assert.DoesNotContain("(default 100)\n", Run("demo", "-h").Out.Replace("negatives per training row, 1 to 100,000 (default 100)", ""));
    }

    [Fact]
    public void Version_NamesTheBuildCommit()
    {
        (int code, string output, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.StartsWith("recloss ", output);
        Assert.Contains(BuildInfo.Commit ?? "commit unknown", output);
    }

    [Fact]
    public void EqualsSyntaxAndResponseFiles_ReadLikeSeparateTokens()
    {
        string rsp = Path.Combine(Folder, "args.rsp");
        File.WriteAllText(rsp, "# a comment line\n--epochs 1\n--negatives=3\n--dim 8\n");
        (int code, string output, string err) = Run("demo", "@" + rsp, "--batch-size=4096");
        Assert.True(code == 0, err);
        Assert.Contains("model MF dim 8", output);
        Assert.Contains("3 negatives", output);
        Assert.Contains("batch 4096", output);
    }

    [Fact]
    public void SuggestDirective_CompletesOptionsAndTheirValues()
    {
        Assert.Contains("--negatives", Run("[suggest:9]", "train --n").Out.Split('\n').Select(l => l.Trim()));
        string[] losses = Run("[suggest:13]", "train --loss ").Out.Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains("mml", losses);
        Assert.Contains("simce", losses);
        (int code, string script, _) = Run("completion", "bash");
        Assert.Equal(0, code);
        Assert.Contains("complete -o default -F _recloss_complete recloss", script);
    }

    [Theory]
    [InlineData("bench", "--ks", "10", "'bench' does not take --ks (it is an option of demo, train, evaluate)")]
    [InlineData("bench", "--patience", "2", "'bench' does not take --patience")]
    [InlineData("bench", "--select-on", "test", "'bench' does not take --select-on")]
    [InlineData("bench", "--eval-every", "2", "'bench' does not take --eval-every")]
    [InlineData("bench", "--select-k", "10", "'bench' does not take --select-k")]
    [InlineData("train", "--select-on", "test", "--select-on chooses the split early stopping and the plateau schedule watch, so it needs --patience N or --plateau-factor F")]
    [InlineData("train", "--negativs", "5", "'train' does not take --negativs (did you mean --negatives?)")]
    [InlineData("stats", "--epochs", "5", "'stats' does not take --epochs (it is an option of demo, train, bench)")]
    public void OptionsThatWouldBeIgnored_AreRefused(string verb, string option, string value, string expected)
    {
        (int code, _, string err) = Run(verb, option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void SplitSeedWithoutASplit_AndDataSeedWithData_AreRefused()
    {
        string dir = SplitFolder("0 1\n", "0 2\n");
        Assert.Contains("--split-seed seeds a split, but none is made", Run("stats", "--data", dir, "--split-seed", "3").Err);
        Assert.Equal(0, Run("stats", "--data", dir, "--split-seed", "3", "--validation-ratio", "0.5").Code);
        Assert.Contains("--data-seed seeds the generated demo data", Run("train", "--data", dir, "--data-seed", "3").Err);
        Assert.Contains("applies to a delimited file given by --data", Run("train", "--train-ratio", "0.5").Err);
    }

    [Fact]
    public void ValidationRatioOnGeneratedData_IsHonoured()
    {
        (int code, string output, string err) = Run("demo", "--validation-ratio", "0.2", "--epochs", "1", "--negatives", "3", "--batch-size", "4096");
        Assert.True(code == 0, err);
        Assert.Contains("best-validation", output);
    }

    [Fact]
    public void RunRecord_HoldsCommandLineDataPathThreadsLossFieldsAndBuildCommit()
    {
        string outDir = Path.Combine(Folder, "record");
        string[] args = ["train", "--loss", "ccl", "--margin", "0.8", "--epochs", "1", "--negatives", "3", "--batch-size", "4096", "--threads", "1", "--out", outDir];
        (int code, _, string err) = Run(args);
        Assert.True(code == 0, err);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        JsonElement root = json.RootElement;
        Assert.Equal(args, root.GetProperty("commandLine").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("generated", root.GetProperty("data").GetProperty("path").GetString());
        JsonElement config = root.GetProperty("config");
        Assert.Equal(1, config.GetProperty("threads").GetInt32());
        Assert.Equal("ccl", config.GetProperty("loss").GetProperty("name").GetString());
        Assert.Equal(0.8, config.GetProperty("loss").GetProperty("margin").GetDouble());
        Assert.Equal(150, config.GetProperty("loss").GetProperty("negativeWeight").GetDouble());
        Assert.Equal(BuildInfo.Commit, root.GetProperty("commit").GetString());
        Assert.Equal(BuildInfo.Dirty, root.GetProperty("commitDirty").GetBoolean());
    }
}
