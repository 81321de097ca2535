using System.Text.Json.Nodes;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

/// <summary>provenance.md: when, by which binaries and how fast each finished cell trained, read from its result.</summary>
public partial class ExperimentTests
{
    [Fact]
    public void The_provenance_table_names_each_cells_binary_time_and_threads_and_the_cell_it_reused()
    {
        string first = Spec("name: origin\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [ccl]\n");
        string second = Spec("name: copier\nbase: {epochs: 2, eval-every: 1}\ngrid:\n  loss: [ccl, bpr]\n");
        Assert.Equal(0, RunSmoke(first).Code);
        Assert.Equal(0, RunSmoke(second, "--threads", "1").Code);
        string results = Path.Combine(Folder, "runs", "copier-smoke", "results");
        string table = File.ReadAllText(Path.Combine(results, ExperimentProvenance.FileName));

        JsonNode bpr = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "bpr.json")))!;
        JsonNode segment = bpr["segments"]!.AsArray().Single()!;
        string commit = (segment["commit"]?.GetValue<string>() is { } c ? c[..7] : "unknown") + (segment["dirty"]?.GetValue<bool>() == true ? " dirty" : "");
        string day = DateTime.Parse(segment["startedUtc"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        string row = Assert.Single(table.Split('\n'), l => l.StartsWith("| bpr |", StringComparison.Ordinal));
        Assert.Contains($"| 2 | {day} ", row);
        Assert.Contains($"| {commit} (1) | 1 |", row);
        Assert.Contains("| ccl | 2 | reused: origin/ccl |", table);
        Assert.Contains("Machine, every cell: " + bpr["machine"]!.GetValue<string>(), table);
    }

    [Fact]
    public void Older_result_files_show_what_they_lack_instead_of_a_guess()
    {
        static (Cell, JsonNode) Result(string key, string json) =>
            (new Cell(key, new Dictionary<string, string>(), new Dictionary<string, string?>(), null), JsonNode.Parse(json)!);
        string table = ExperimentProvenance.Markdown(
        [
            // Written before segments were recorded: only the finishing binary and the finish time.
            Result("old", """{"epochs": [{"epoch": 1, "trainSeconds": 3}], "commit": "0123456789ab", "commitDirty": false, "finishedUtc": "2026-12-01T20:49:06Z", "machine": "m"}"""),
            // Resumed: a first segment without threads or start time, a dirty second one; crosses midnight.
            Result("resumed", """{"epochs": [{"epoch": 1, "trainSeconds": 2}, {"epoch": 2, "trainSeconds": 4}], "finishedUtc": "2026-12-04T00:10:00Z", "machine": "m", "segments": [{"firstEpoch": 1, "commit": "aaaaaaa111", "dirty": false}, {"firstEpoch": 2, "commit": "bbbbbbb222", "dirty": true, "startedUtc": "2026-12-03T23:50:00Z", "threads": 1}]}"""),
            Result("crossing", """{"epochs": [{"epoch": 1, "trainSeconds": 5}], "finishedUtc": "2026-12-04T00:10:00Z", "machine": "m", "segments": [{"firstEpoch": 1, "commit": "ccccccc333", "dirty": false, "startedUtc": "2026-12-03T23:50:00Z", "threads": 2}]}"""),
        ]);
        Assert.Contains("| old | 1 | finished 2026-12-01 20:49 | 0123456 (finishing) | - | 3.0 |", table);
        Assert.Contains("| resumed | 2 | finished 2026-12-04 00:10 | aaaaaaa (1), bbbbbbb dirty (2) | 1, ? | 3.0 |", table);
        Assert.Contains("| crossing | 1 | 2026-12-03 23:50 to 2026-12-04 00:10 | ccccccc (1) | 2 | 5.0 |", table);
        Assert.Contains("finishing: a result written before segments were recorded", table);
        Assert.Contains("dirty: built from that commit with uncommitted changes", table);
        Assert.Contains("Machine, every cell: m.", table);
    }
}
