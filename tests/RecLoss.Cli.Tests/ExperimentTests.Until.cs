using System.Text.Json.Nodes;

namespace RecLoss.Cli.Tests;

/// <summary>`experiment run --until`: only the cells estimated to finish by then start.</summary>
public partial class ExperimentTests
{
    /// <summary>A two-seed spec whose seed 1 has finished with every epoch recorded at <paramref name="seconds"/> of
    /// training, seed 2 left to run; returns the spec's path and seed 2's result path.</summary>
    private (string Spec, string Result) OneFinishedAt(double seconds)
    {
        string path = Spec("name: timed\nbase: {epochs: 2}\ngrid:\n  seed: [1, 2]\n");
        Assert.Equal(0, RunSmoke(path, "--cells", "1").Code);
        string results = Path.Combine(Folder, "runs", "timed-smoke", "results");
        JsonNode finished = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "1.json")))!;
        foreach (JsonNode? epoch in finished["epochs"]!.AsArray())
        {
            epoch!["trainSeconds"] = seconds;
        }
        File.WriteAllText(Path.Combine(results, "1.json"), finished.ToJsonString());
        return (path, Path.Combine(results, "2.json"));
    }

    private static string In(TimeSpan from) => (DateTime.UtcNow + from).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Until_leaves_a_cell_that_its_finished_alike_says_would_not_finish_and_starts_one_that_would()
    {
        (string path, string result) = OneFinishedAt(3600);   // two epochs of an hour each: about 2:18 with the 15 %
        var (code, output, err) = RunSmoke(path, "--until", In(TimeSpan.FromHours(2)));
        Assert.True(code == 0, err);
        Assert.Contains("2: about 2:18 (h:mm) to train, past --until", output);
        Assert.Contains("1 left by --until for a later run", output);
        Assert.False(File.Exists(result));
        (code, output, err) = RunSmoke(path, "--until", In(TimeSpan.FromHours(3)));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(result), output);
    }

    [Fact]
    public void Until_starts_nothing_once_passed_nor_a_cell_nothing_times()
    {
        string path = Spec("name: untimed\nbase: {epochs: 2}\ngrid:\n  seed: [1]\n");
        var (code, output, _) = RunSmoke(path, "--until", In(TimeSpan.FromDays(30)));
        Assert.Equal(0, code);
        Assert.Contains("1: no finished or started cell alike times it", output);
        Assert.False(File.Exists(Path.Combine(Folder, "runs", "untimed-smoke", "results", "1.json")));
        (string timed, string result) = OneFinishedAt(0.001);
        (code, output, _) = RunSmoke(timed, "--until", In(TimeSpan.FromMinutes(-1)));
        Assert.Equal(0, code);
        Assert.Contains("has passed: left for a later run", output);
        Assert.False(File.Exists(result));
    }

    [Fact]
    public void Until_reads_a_time_in_its_own_zone()
    {
        (string path, string result) = OneFinishedAt(3600);   // about 2:18 to train
        // A time h hours from now written on the clock of UTC+offset; read without its zone it would be off by the offset.
        static string At(int hours, int offset) => DateTime.UtcNow.AddHours(hours + offset).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)
            + (offset < 0 ? "-" : "+") + $"{Math.Abs(offset):00}:00";
        var (code, output, err) = RunSmoke(path, "--until", At(2, 5));       // 7 h ahead on its clock, 2 h in fact
        Assert.True(code == 0, err);
        Assert.Contains("past --until", output);
        Assert.False(File.Exists(result));
        (code, output, err) = RunSmoke(path, "--until", At(3, -5));          // 2 h behind on its clock, 3 h ahead in fact
        Assert.True(code == 0, err);
        Assert.True(File.Exists(result), output);
    }

    [Fact]
    public void Until_is_refused_by_status()
    {
        string path = Spec("name: status\nbase: {epochs: 2}\ngrid:\n  seed: [1]\n");
        var (code, _, err) = Cli.Run("experiment", "status", path, "--smoke", "--experiments", Folder, "--until", "junk");
        Assert.Equal(2, code);
        Assert.Contains("--until applies to experiment run", err);
    }

    [Theory]
    [InlineData("2026-12-04T16:30", "with its zone")]
    [InlineData("16:30Z", "expected an ISO 8601 date and time")]
    [InlineData("tomorrow", "got 'tomorrow'")]
    public void Until_refuses_a_time_without_a_date_or_zone(string until, string expected)
    {
        string path = Spec("name: zone\nbase: {epochs: 2}\ngrid:\n  seed: [1]\n");
        var (code, _, err) = RunSmoke(path, "--until", until);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(Path.Combine(Folder, "runs")));
    }
}
