using System.Text.Json;

namespace RecLoss.Cli.Tests;

public sealed class EncoderOptionTests : WithTempFolder
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.Run(args);

    private static readonly string[] Quick = ["--epochs", "1", "--negatives", "3", "--dim", "8", "--batch-size", "4096"];

    [Theory]
    [InlineData(new[] { "--encoder", "gru" }, "--encoder: 'gru' is not an encoder (expected mf, simplex or lightgcn)")]
    [InlineData(new[] { "--layers", "2" }, "--layers does not apply to --encoder mf (it is an option of lightgcn)")]
    [InlineData(new[] { "--encoder", "lightgcn", "--simplex-gamma", "0.5" }, "--simplex-gamma does not apply to --encoder lightgcn (it is an option of simplex)")]
    [InlineData(new[] { "--encoder", "simplex", "--simplex-gamma", "1.5" }, "--simplex-gamma: 1.5 is out of range (expected >= 0 and <= 1)")]
    [InlineData(new[] { "--encoder", "simplex", "--aggregator", "max" }, "--aggregator: 'max' is not an aggregator")]
    [InlineData(new[] { "--encoder", "simplex", "--attention-padding", "reference" }, "--attention-padding applies to --aggregator self-attention or user-attention")]
    [InlineData(new[] { "--encoder", "lightgcn", "--layers", "9" }, "--layers: 9 is out of range (expected >= 0 and <= 8)")]
    [InlineData(new[] { "--encoder", "simplex", "--loss", "bsl", "--pool-positives" }, "--pool-positives is implemented in MF's own trainer only; --encoder simplex trains with the generic trainer")]
    [InlineData(new[] { "--encoder", "lightgcn", "--optimizer", "sparse-adam" }, "--optimizer sparse-adam is implemented in MF's own trainer only")]
    [InlineData(new[] { "--encoder", "lightgcn", "--dropout-before-norm" }, "--dropout-before-norm is implemented in MF's own trainer only; --encoder lightgcn trains with the generic trainer")]
    [InlineData(new[] { "--score", "dot", "--dropout-before-norm" }, "--dropout-before-norm orders dropout against the cosine's normalisation; this run has the dot score")]
    [InlineData(new[] { "--dropout", "0", "--dropout-before-norm" }, "this run has --dropout 0, where the order changes nothing")]
    [InlineData(new[] { "--epoch-rows", "user-uniform", "--optimizer", "sparse-adam" }, "--optimizer sparse-adam is implemented in MF's own trainer only; --epoch-rows user-uniform trains with the generic trainer")]
    [InlineData(new[] { "--l2-on", "rows" }, "--l2-on: 'rows' is not a placement (expected tables, batch or batch-layers)")]
    [InlineData(new[] { "--l2-on", "batch-layers" }, "--l2-on batch-layers puts L2 on every propagated layer, which lightgcn has and --encoder mf has not")]
    [InlineData(new[] { "--encoder", "lightgcn", "--sampler", "in-batch-all", "--batch-size", "64", "--negatives", "100" }, "--negatives must be --batch-size - 1 = 63 (found 100")]
    [InlineData(new[] { "--sampler", "in-batch-all:0.5,uniform:0.5" }, "it cannot share a mixture")]
    [InlineData(new[] { "--init-dist", "xavier-uniform", "--init-std", "0.1" }, "--init-std sets the normal initialisation's spread")]
    [InlineData(new[] { "--init-dist", "glorot" }, "--init-dist: 'glorot' is not an initialisation (expected normal or xavier-uniform)")]
    [InlineData(new[] { "--eval-score", "l2" }, "--eval-score: 'l2' is not a score (expected cosine or dot)")]
    [InlineData(new[] { "--epoch-rows", "users" }, "--epoch-rows: 'users' is not an epoch layout")]
    public void EncoderOptions_AreCheckedBeforeLoading(string[] options, string expected)
    {
        (int code, _, string err) = Run(["train", "--data", Path.Combine(Folder, "missing"), .. options]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void TheBslLightGcnFrame_Trains_AndItsSettingsAreRecordedOnlyWhenSet()
    {
        string frame = Path.Combine(Folder, "frame"), plain = Path.Combine(Folder, "plain");
        (int code, string output, string err) = Run(["train", "--encoder", "lightgcn", "--loss", "bsl", "--sampler", "in-batch-all", "--batch-size", "512",
            "--l2-on", "batch-layers", "--l2", "1e-5", "--init-dist", "xavier-uniform", "--eval-score", "dot", "--layers", "1", "--epochs", "1", "--dim", "8",
            "--out", frame]);
        Assert.True(code == 0, err);
        Assert.Contains("LightGCN (1 layers), L2 on every layer of the batch's rows dim 8 cosine (evaluated dot), Xavier-uniform init", output);
        Assert.Contains("511 negatives (in-batch-all", output);
        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(Path.Combine(frame, "run.json")));
        JsonElement config = record.RootElement.GetProperty("config");
        Assert.Equal("batch-layers", config.GetProperty("l2On").GetString());
        Assert.Equal("xavier-uniform", config.GetProperty("initDist").GetString());
        Assert.Equal("dot", config.GetProperty("evalScore").GetString());
        Assert.Equal(511, config.GetProperty("negatives").GetInt32());

        (code, _, err) = Run(["train", "--out", plain, .. Quick]);
        Assert.True(code == 0, err);
        using JsonDocument plainRecord = JsonDocument.Parse(File.ReadAllText(Path.Combine(plain, "run.json")));
        JsonElement plainConfig = plainRecord.RootElement.GetProperty("config");
        // Defaults leave the keys null, as checkpoints written before these options were: such runs still resume.
        Assert.Equal(JsonValueKind.Null, plainConfig.GetProperty("initDist").ValueKind);
        Assert.Equal(JsonValueKind.Null, plainConfig.GetProperty("evalScore").ValueKind);
    }

    [Fact]
    public void Encoders_ListsEachWithItsOptions()
    {
        (int code, string output, _) = Run("encoders");
        Assert.Equal(0, code);
        foreach (string name in new[] { "mf", "simplex", "lightgcn" })
        {
            Assert.Contains($"\n  {name} ", output);
        }
        Assert.Contains("--aggregator", output);
        Assert.Contains("--layers", output);
    }

    [Theory]
    [InlineData("simplex", "SimpleX (user attention with the reference's padding, g 0.5, history 4, own table)",
        new[] { "--aggregator", "user-attention", "--attention-padding", "reference", "--simplex-gamma", "0.5", "--history-length", "4" })]
    [InlineData("lightgcn", "LightGCN (2 layers), L2 on the batch's rows, user-uniform epochs", new[] { "--layers", "2", "--l2-on", "batch", "--epoch-rows", "user-uniform", "--loss", "bpr" })]
    public void EachEncoder_TrainsAndIsRecorded(string encoder, string echoed, string[] options)
    {
        string outDir = Path.Combine(Folder, encoder);
        (int code, string output, string err) = Run(["train", "--encoder", encoder, .. options, "--out", outDir, .. Quick]);
        Assert.True(code == 0, err);
        Assert.Contains(echoed, output);
        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")));
        Assert.Equal(encoder, record.RootElement.GetProperty("config").GetProperty("encoder").GetString());
        Assert.True(record.RootElement.GetProperty("final")[0].GetProperty("test").GetProperty("recall@20").GetDouble() > 0);
    }

    [Fact]
    public void Bench_TimesAnEncoder_WithoutMfOnlyRates()
    {
        (int code, string output, string err) = Run("bench", "--encoder", "simplex", "--negatives", "5", "--epochs", "1", "--dim", "16", "--skip-machine");
        Assert.True(code == 0, err);
        Assert.Contains("encoder simplex", output);
        Assert.Contains("encode", output);   // the generic trainer's phases
        Assert.DoesNotContain("NaN", output);
    }

    [Fact]
    public void Bench_InBatchAll_TimesItsOneNegativeCount_ByDefault()
    {
        (int code, string output, string err) = Run("bench", "--encoder", "lightgcn", "--sampler", "in-batch-all", "--batch-size", "1024",
            "--epochs", "1", "--dim", "8", "--skip-machine");
        Assert.True(code == 0, err);
        string[] rows = [.. output.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d+\s+\d+\.\d\d\s"))];
        Assert.Equal(2, rows.Length);   // the timing table's row and the phases' row
        Assert.All(rows, row => Assert.Equal("1023", row.Trim().Split(' ')[0]));
    }
}
