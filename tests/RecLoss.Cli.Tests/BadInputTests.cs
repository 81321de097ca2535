using System.Text;
using System.Text.Json;
using RecLoss.Cli;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Tests;

/// <summary>Every category of bad input gets one clear line and its exit code: 2 usage, 3 data, 5 output, never a trace.</summary>
public sealed class BadInputTests : WithTempFolder
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.Run(args);

    private static readonly string[] Quick = ["--epochs", "1", "--negatives", "3", "--dim", "8", "--batch-size", "4096"];

    // Nothing to train or test on.

    [Fact]
    public void WhitespaceOnlyTrain_ExitsThree()
    {
        (int code, _, string err) = Run(["train", "--data", SplitFolder(" \n\n\t\n", "0 1\n"), .. Quick]);
        Assert.Equal(3, code);
        Assert.Contains("train.txt: no interactions", err);
    }

    [Fact]
    public void NoTestUsers_PrintsNotApplicable_NotZeros()
    {
        string outDir = Path.Combine(Folder, "out");
        (int code, string output, string err) = Run(["train", "--data", SplitFolder("0 1 2\n1 2 3\n2 0\n", ""), "--out", outDir, .. Quick]);
        Assert.True(code == 0, err);
        Assert.Contains("n/a (0 users)", output);
        Assert.DoesNotContain("0.0000", output);
        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        Assert.Equal(JsonValueKind.Null, record.RootElement.GetProperty("final")[0].GetProperty("test").GetProperty("metrics").ValueKind);
    }

    [Fact]
    public void PatienceOnAnEmptySplit_IsRefused()
    {
        (int code, _, string err) = Run(["train", "--data", SplitFolder("0 1 2\n1 2 3\n", ""), "--select-on", "test", "--patience", "2", .. Quick]);
        Assert.Equal(2, code);
        Assert.Contains("--patience watches the test split, but it has no users", err);
    }

    // Ids used as array indices.

    [Fact]
    public void HugeSparseIds_AreRenumbered_NotAllocated()
    {
        long before = GC.GetTotalAllocatedBytes();
        (int code, string output, string err) = Run(["train", "--data", SplitFolder("0 1 2100000000\n2000000000 1 5\n", "0 5\n"), .. Quick]);
        Assert.True(code == 0, err);
        Assert.Contains("ids are sparse", output);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 1L << 30, "allocated a gigabyte or more");
    }

    [Fact]
    public void IdBeyondIntRange_ExitsThreeSuggestingCsv()
    {
        (int code, _, string err) = Run(["stats", "--data", SplitFolder("0 1\n99999999999 2\n", "0 1\n")]);
        Assert.Equal(3, code);
        Assert.Contains("train.txt:2:", err);
        Assert.Contains("CSV", err);
    }

    // Encoding.

    [Fact]
    public void ByteOrderMark_InBothLoaders_ReadsAsWithout()
    {
        string plain = SplitFolder("0 1 2\n1 2\n", "0 3\n1 0\n");
        string bom = SplitFolder("\uFEFF0 1 2\n1 2\n", "\uFEFF0 3\n1 0\n");
        Assert.Equal(Run("stats", "--data", plain).Out.Replace(Path.GetFileName(plain), "X"), Run("stats", "--data", bom).Out.Replace(Path.GetFileName(bom), "X"));
        (int code, string output, _) = Run("stats", "--data", Csv("\uFEFFuser_id,item_id\na,b\na,c\n"));
        Assert.Equal(0, code);
        Assert.Contains("interactions             2", output);
    }

    [Fact]
    public void CrOnlyLineEndings_AreRead()
    {
        (int code, string output, _) = Run("stats", "--data", SplitFolder("0 1 2\r1 2\r", "0 3\r1 0\r"));
        Assert.Equal(0, code);
        Assert.Contains("users                    2", output);
    }

    [Fact]
    public void InvalidUtf8_NamesLineAndByte()
    {
        string path = Path.Combine(Folder, "latin1.csv");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("user_id,item_id\nu1,caf"), 0xE9, (byte)'\n']);
        (int code, _, string err) = Run("stats", "--data", path);
        Assert.Equal(3, code);
        Assert.Contains("latin1.csv:2:", err);
        Assert.Contains("0xE9", err);
    }

    [Fact]
    public void BinaryFile_GivesAShortMessage()
    {
        string path = Path.Combine(Folder, "model.bin");
        File.WriteAllBytes(path, Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray());
        (int code, _, string err) = Run("stats", "--data", path);
        Assert.Equal(3, code);
        Assert.Contains("NUL byte", err);
        Assert.True(err.Length < 300, err);
    }

    // Options that overflow or make a run meaningless: refused before any data is loaded (the --data path does not exist).

    [Theory]
    [InlineData("--hard-candidates", "2147483647", "--hard-candidates: 2147483647 is out of range")]
    [InlineData("--batch-size", "2147483600", "--batch-size: 2147483600 is out of range")]
    [InlineData("--negatives", "100000", "scores per step, more than the 16,777,216 a step may hold")]
    [InlineData("--init-std", "0", "--init-std: 0 is out of range (expected > 0 and <= 1)")]
    [InlineData("--epochs", "99999999999", "--epochs: 99999999999 is out of range")]
    [InlineData("--seed", "-1", "--seed: -1 is out of range")]
    public void OverflowingOptions_AreRefusedBeforeLoading(string option, string value, string expected)
    {
        (int code, _, string err) = Run("train", "--data", Path.Combine(Folder, "missing"), option, value, "--sampler", "hard");
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void InBatchWithABatchOfOne_IsRefusedBeforeLoading()
    {
        (int code, _, string err) = Run("train", "--data", Path.Combine(Folder, "missing"), "--sampler", "in-batch", "--batch-size", "1");
        Assert.Equal(2, code);
        Assert.Contains("needs --batch-size of at least 2", err);
    }

    [Fact]
    public void PerEpochDrawTooLargeToHold_IsRefusedBeforeTraining()
    {
        (int code, string output, string err) = Run("train", "--draw-negatives", "per-epoch", "--negatives", "60000", "--batch-size", "16");
        Assert.Equal(2, code);
        Assert.Contains("--draw-negatives per-epoch would hold", err);
        Assert.DoesNotContain("epoch   1", output);
    }

    // Output.

    [Fact]
    public void OutIsAFile_IsRefusedBeforeTraining()
    {
        string file = Path.Combine(Folder, "taken");
        File.WriteAllText(file, "keep");
        (int code, string output, string err) = Run(["train", "--out", file, .. Quick]);
        Assert.Equal(2, code);
        Assert.Contains("is a file", err);
        Assert.Equal("", output);
        Assert.Equal("keep", File.ReadAllText(file));
    }

    [Fact]
    public void OutUnderAFile_CannotBeCreated_IsRefusedBeforeTraining()
    {
        string file = Path.Combine(Folder, "plain");
        File.WriteAllText(file, "");
        (int code, string output, string err) = Run(["train", "--out", Path.Combine(file, "run"), .. Quick]);
        Assert.Equal(2, code);
        Assert.Contains("--out: cannot write to", err);
        Assert.Equal("", output);
    }

    [Fact]
    public void ExistingRecord_IsKeptWithoutForce_ReplacedWithIt()
    {
        string outDir = Path.Combine(Folder, "keep");
        Directory.CreateDirectory(outDir);
        string record = Path.Combine(outDir, "run.json");
        File.WriteAllText(record, "{\"old\": true}");
        (int code, string output, string err) = Run(["train", "--out", outDir, .. Quick]);
        Assert.Equal(2, code);
        Assert.Contains("add --force", err);
        Assert.Equal("", output);
        Assert.Equal("{\"old\": true}", File.ReadAllText(record));
        Assert.Equal(0, Run(["train", "--out", outDir, "--force", .. Quick]).Code);
        Assert.Contains("\"commandLine\"", File.ReadAllText(record));
    }

    [Fact]
    public void WriteFailureAtTheEnd_IsReported_AndLeavesNoTemporaryFile()
    {
        string outDir = Path.Combine(Folder, "late");
        var args = new ArgumentReader([new("out", outDir)]);
        RunOutput output = RunOutput.Prepare(args)!;
        Directory.CreateDirectory(Path.Combine(outDir, "run.json", "blocker"));   // run.json cannot be replaced now
        var e = Assert.Throws<OutputException>(() => WriteRecord(output));
        Assert.Contains("could not write", e.Message);
        Assert.Contains("unchanged", e.Message);
        Assert.Equal(["run.json"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));
    }

    private static IReadOnlyList<string> WriteRecord(RunOutput output)
    {
        var data = Core.Data.SyntheticData.Generate(new Core.Data.SyntheticDataOptions { Users = 50, Items = 40 });
        var options = new SessionOptions { Trainer = new TrainerOptions { Epochs = 1, Negatives = 2 } };
        var loss = new Core.Losses.BprLoss();
        TrainingResult result = new TrainingSession(options).Run(data, loss, null, CancellationToken.None);
        return output.Write(data, "generated", loss, new Dictionary<string, object?>(), result, [], null, ["train"]);
    }

    [Fact]
    public async Task TwoRunsIntoOneFolder_AtOnce_BothFinishWithAWholeRecord()
    {
        string outDir = Path.Combine(Folder, "shared");
        Directory.CreateDirectory(outDir);
        Task<(int Code, string Out, string Err)>[] runs = Enumerable.Range(0, 2)
            .Select(i => Task.Run(() => Run(["train", "--out", outDir, "--force", "--seed", $"{i + 1}", .. Quick]))).ToArray();
        foreach ((int code, _, string err) in await Task.WhenAll(runs))
        {
            Assert.True(code == 0, err);
        }
        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        Assert.Equal(["model.rlm", "run.json"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order());
    }

    // Internal wording.

    [Fact]
    public void UserWithEveryItem_IsNamedByItsOwnId_ExitThree()
    {
        (int code, _, string err) = Run(["train", "--data", Csv("user_id,item_id\nalice,x\nalice,y\nalice,z\nbob,x\nbob,y\nalice,w\ncarol,w\n"),
            "--train-ratio", "0.99", "--exclude-positives", .. Quick]);
        Assert.Equal(3, code);
        Assert.Contains("user 'alice' interacted with all", err);
    }

    [Fact]
    public void NoisyPositivesBeyondWhatAUserCanTake_NameTheUserWithoutParameterWording()
    {
        (int code, _, string err) = Run(["train", "--data", SplitFolder("0 0 1 2\n1 0\n", "1 1\n"), "--noisy-positive-ratio", "5", .. Quick]);
        Assert.Equal(3, code);
        Assert.Contains("--noisy-positive-ratio 5: User '", err);
    }

    // Found in review: each of these once crashed, lost a record or ran silently wrong.

    [Theory]
    [InlineData("user_id,item_id,title\nu1,i1,12\" vinyl\nu2,i2,7\" single\nu3,i3,cd\n", 2, "inside an unquoted field")]
    [InlineData("user_id,item_id\nu1,\"i1\"x\nu2,i2\n", 2, "after a closing quote")]
    [InlineData("user_id,item_id,x,x\nu1,i1,a,b\n", 1, "the header cannot be read")]
    public void MalformedQuotesAndHeaders_ExitThreeWithTheLine(string text, int line, string expected)
    {
        (int code, _, string err) = Run("stats", "--data", Csv(text));
        Assert.Equal(3, code);
        Assert.Contains($".csv:{line}: ", err);
        Assert.Contains(expected, err);
    }

    [Theory]
    [InlineData(new[] { "--delimiter", "\u00e9" }, "is not a field separator")]
    [InlineData(new[] { "--delimiter", "\u0001" }, "is not a field separator")]
    [InlineData(new[] { "--timestamp-column", "ts" }, "--timestamp-column is used only by --split temporal")]
    [InlineData(new[] { "--split", "temporal", "--timestamp-column", "ts", "--split-seed", "3" }, "--split temporal draws nothing")]
    [InlineData(new[] { "--train-ratio", "0.5", "--train-ratio=" }, "option --train-ratio is given 2 times")]
    public void DelimitedOptionsThatWouldMisleadOrCrash_AreUsageErrors(string[] options, string expected)
    {
        (int code, _, string err) = Run(["stats", "--data", Path.Combine(Folder, "missing.csv"), .. options]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Theory]
    [InlineData(new[] { "--sampler", "hard", "--exclude-positives" }, "--exclude-positives applies to uniform and popularity draws")]
    [InlineData(new[] { "--false-negative-ratio", "0.5", "--exclude-positives" }, "contradict each other")]
    [InlineData(new[] { "--sampler", "hard:0.01,uniform:0.99", "--negatives", "3" }, "rounds to no slot")]
    [InlineData(new[] { "--batch-size", "1048576", "--dim", "4096", "--negatives", "1" }, "values per user buffer")]
    [InlineData(new[] { "--margins", "5", "--margin-weights", "1" }, "--loss mml: margins must lie in [-1, 1] (the range of the cosine scores they are compared with); got 5")]
    [InlineData(new[] { "--exclude-positives", "--exclude-positives" }, "option --exclude-positives is given 2 times")]
    public void TrainingOptionsThatWouldMisleadOrCrash_AreUsageErrors(string[] options, string expected)
    {
        (int code, _, string err) = Run(["train", "--data", Path.Combine(Folder, "missing"), .. options]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void BenchWithAUserHoldingEveryItem_NamesTheUser_ExitThree()
    {
        (int code, _, string err) = Run("bench", "--data", Csv("user_id,item_id\nalice,x\nalice,y\nalice,z\nbob,x\nbob,y\nalice,w\ncarol,w\n"),
            "--train-ratio", "0.99", "--exclude-positives", "--negatives", "3", "--epochs", "1", "--skip-machine");
        Assert.Equal(3, code);
        Assert.Contains("user 'alice' interacted with all", err);
    }

    [Fact]
    public void BenchPerEpochDrawTooLarge_IsRefusedBeforeTheFirstConfiguration()
    {
        (int code, string output, string err) = Run("bench", "--negatives", "1,60000", "--draw-negatives", "per-epoch", "--batch-size", "16", "--epochs", "1", "--skip-machine");
        Assert.Equal(2, code);
        Assert.Contains("--draw-negatives per-epoch would hold", err);
        Assert.DoesNotContain("s/epoch", output);
    }

    [Fact]
    public void RecordFileIsAFolder_IsRefusedBeforeTraining()
    {
        string outDir = Path.Combine(Folder, "blocked");
        Directory.CreateDirectory(Path.Combine(outDir, "run.json"));
        (int code, string output, string err) = Run(["train", "--out", outDir, "--force", .. Quick]);
        Assert.Equal(2, code);
        Assert.Contains("is a folder", err);
        Assert.Equal("", output);
    }

    [Fact]
    public void RecordThatAppearedDuringTheRun_IsKept_AndThisRecordTakesASuffixedName()
    {
        string outDir = Path.Combine(Folder, "race");
        RunOutput output = RunOutput.Prepare(new ArgumentReader([new("out", outDir)]))!;
        File.WriteAllText(Path.Combine(outDir, "run.json"), "other run");
        IReadOnlyList<string> notes = WriteRecord(output);
        Assert.Equal("other run", File.ReadAllText(Path.Combine(outDir, "run.json")));
        string mine = Assert.Single(Directory.GetFiles(outDir, "run-*.json"));
        Assert.Equal(mine, output.RecordPath);
        Assert.Contains(Path.GetFileName(mine), Assert.Single(notes));
        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(mine));
    }

    [Fact]
    public void NoisyPositivesOfAnEarlierRun_AreRemovedWhenForceReplacesTheRecord()
    {
        string outDir = Path.Combine(Folder, "stale");
        Assert.Equal(0, Run(["train", "--out", outDir, "--noisy-positive-ratio", "0.1", .. Quick]).Code);
        Assert.True(File.Exists(Path.Combine(outDir, "noisy-positives.csv")));
        Assert.Equal(0, Run(["train", "--out", outDir, "--force", .. Quick]).Code);
        Assert.Equal(["model.rlm", "run.json"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void LargeK_KeepsEveryTableRowOnOneLine()
    {
        (int code, string output, string err) = Run(["train", "--ks", "10,1000", "--select-k", "10", .. Quick]);
        Assert.True(code == 0, err);
        int[] widths = output.Split('\n').Where(l => l.StartsWith('|')).Select(l => l.TrimEnd().Length).Distinct().ToArray();
        Assert.Single(widths);
        Assert.Contains("test R@10 ", output);
    }

    [Fact]
    public void UnexpectedException_IsOneLineAndAHint_TraceOnlyWithVerbose()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("first line\nsecond line");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }
        var quiet = new StringWriter();
        Assert.Equal(70, CommandLine.Unexpected(quiet, thrown, verbose: false));
        string[] lines = quiet.ToString().TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("error: unexpected InvalidOperationException: first line", lines[0].TrimEnd());
        Assert.Contains("--verbose", lines[1]);
        var loud = new StringWriter();
        CommandLine.Unexpected(loud, thrown, verbose: true);
        Assert.Contains("   at ", loud.ToString());
    }
}
