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
        string commit = segment["commit"]!.GetValue<string>()[..7] + (segment["dirty"]!.GetValue<bool>() ? " dirty" : "");
        string day = DateTime.Parse(segment["startedUtc"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        string row = Assert.Single(table.Split('\n'), l => l.StartsWith("| bpr |", StringComparison.Ordinal));
        Assert.Contains($"| 2 | {day} ", row);
        Assert.Contains($"| {commit} (1) | 1 |", row);
        Assert.Contains("| ccl | 2 | reused: origin/ccl |", table);
        Assert.Contains("Machine, every cell: " + bpr["machine"]!.GetValue<string>(), table);
    }
}
