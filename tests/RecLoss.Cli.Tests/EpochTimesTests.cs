using System.Text.Json.Nodes;
using RecLoss.Cli.Experiments;

namespace RecLoss.Cli.Tests;

public class EpochTimesTests
{
    private static JsonNode Result(string options, params double[] seconds) => new JsonObject
    {
        ["options"] = JsonNode.Parse(options),
        ["epochs"] = new JsonArray([.. seconds.Select(s => (JsonNode)new JsonObject { ["trainSeconds"] = s })]),
    };

    private static Cell Cell(string? data, params (string Key, string Value)[] options) =>
        new("cell", new Dictionary<string, string>(), options.ToDictionary(o => o.Key, o => (string?)o.Value), data);

    [Fact]
    public void A_cell_is_timed_by_finished_cells_of_its_loss_scaled_by_the_negatives()
    {
        var times = new EpochTimes();
        times.Add(smoke: false, "yelp2018", Result("""{"loss": "ccl", "negatives": "100"}""", 4, 6));     // 5 s at 100
        times.Add(smoke: false, "yelp2018", Result("""{"loss": "sl"}""", 10));                          // default 100
        times.Add(smoke: false, "gowalla", Result("""{"loss": "ccl"}""", 50));

        // The same loss: 5 s x (800 + 100) / (100 + 100).
        Assert.Equal(22.5, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("negatives", "800")))!.Value, 9);
        Assert.Equal(10.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")))!.Value, 9);
        // No finished MML cell: every loss of the data set, each scaled, averaged.
        Assert.Equal((5 + 10) / 2.0 * 1.5, times.SecondsPerEpoch(false, Cell("yelp2018", ("negatives", "200")))!.Value, 9);
        // Another encoder, data set or smoke mode: nothing alike.
        Assert.Null(times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("encoder", "simplex"))));
        Assert.Null(times.SecondsPerEpoch(false, Cell("ml-100k", ("loss", "ccl"))));
        Assert.Null(times.SecondsPerEpoch(true, Cell("yelp2018", ("loss", "ccl"))));
    }

    [Fact]
    public void A_result_without_epochs_options_or_numeric_seconds_times_nothing()
    {
        var times = new EpochTimes();
        times.Add(false, "yelp2018", new JsonObject { ["options"] = new JsonObject(), ["epochs"] = new JsonArray() });
        times.Add(false, "yelp2018", new JsonObject { ["epochs"] = new JsonArray(new JsonObject { ["trainSeconds"] = 3.0 }) });
        times.Add(false, "yelp2018", new JsonObject { ["options"] = new JsonObject(), ["epochs"] = new JsonArray(new JsonObject { ["trainSeconds"] = "slow" }) });
        Assert.Null(times.SecondsPerEpoch(false, Cell("yelp2018")));
    }
}
