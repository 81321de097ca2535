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
        times.Add(smoke: false, "gowalla", Result("""{"loss": "ccl"}""", 50, 48, 900, 52));         // one paused epoch

        // The same loss: 5 s x (800 + 100) / (100 + 100).
        Assert.Equal(22.5, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("negatives", "800")))!.Value, 9);
        Assert.Equal(10.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")))!.Value, 9);
        // No finished MML cell: every loss of the data set, each scaled, averaged.
        Assert.Equal((5 + 10) / 2.0 * 1.5, times.SecondsPerEpoch(false, Cell("yelp2018", ("negatives", "200")))!.Value, 9);
        // A finished cell at the same negatives times it alone, unscaled: the others' scaling misses fixed costs.
        times.Add(smoke: false, "yelp2018", Result("""{"loss": "ccl", "negatives": "800"}""", 30));
        Assert.Equal(30.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("negatives", "800")))!.Value, 9);
        Assert.Equal(5.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("negatives", "100")))!.Value, 9);
        Assert.Equal((5 * 500 / 200.0 + 30 * 500 / 900.0) / 2, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("negatives", "400")))!.Value, 9);
        // Another encoder, data set or smoke mode: nothing alike.
        Assert.Null(times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "ccl"), ("encoder", "simplex"))));
        Assert.Null(times.SecondsPerEpoch(false, Cell("ml-100k", ("loss", "ccl"))));
        Assert.Null(times.SecondsPerEpoch(true, Cell("yelp2018", ("loss", "ccl"))));
        // A finished cell's pace is its epochs' median: a paused epoch does not move it.
        Assert.Equal(51.0, times.SecondsPerEpoch(false, Cell("gowalla", ("loss", "ccl")))!.Value, 9);
    }

    [Fact]
    public void A_LightGCN_cell_is_timed_only_by_cells_of_its_layers_batch_rows_and_negatives()
    {
        var times = new EpochTimes();
        const string bsl = """{"encoder": "lightgcn", "loss": "bsl", "layers": "3", "batch-size": "1024", "epoch-rows": "interactions", "negatives": "1023"}""";
        times.Add(false, "yelp2018", Result(bsl, 78, 80));
        Cell Lightgcn(string loss, string layers, string batch, string rows, string negatives) => Cell("yelp2018",
            ("encoder", "lightgcn"), ("loss", loss), ("layers", layers), ("batch-size", batch), ("epoch-rows", rows), ("negatives", negatives));

        // SL trains as BSL does: BSL's epochs time it, unscaled.
        Assert.Equal(79.0, times.SecondsPerEpoch(false, Lightgcn("sl", "3", "1024", "interactions", "1023"))!.Value, 9);
        // BPR on another batch size, rows per epoch and one negative: scaling BSL by the negatives would say 7.1 s.
        Assert.Null(times.SecondsPerEpoch(false, Lightgcn("bpr", "3", "2048", "user-uniform", "1")));
        Assert.Null(times.SecondsPerEpoch(false, Lightgcn("sl", "1", "1024", "interactions", "1023")));
        Assert.Null(times.SecondsPerEpoch(false, Lightgcn("sl", "3", "1024", "interactions", "511")));
        // MF still takes any loss, scaled by the negatives.
        times.Add(false, "yelp2018", Result("""{"loss": "ccl", "negatives": "100"}""", 5));
        Assert.Equal(5.0 * 900 / 200, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "bpr"), ("negatives", "800")))!.Value, 9);
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

    private static JsonNode Segmented(string options, (int First, int? Threads)[] segments, params double[] seconds)
    {
        JsonNode result = Result(options, seconds);
        for (int i = 0; i < seconds.Length; i++)
        {
            result["epochs"]![i]!["epoch"] = i + 1;
        }
        result["segments"] = new JsonArray([.. segments.Select(s => (JsonNode)new JsonObject { ["firstEpoch"] = s.First, ["threads"] = s.Threads })]);
        return result;
    }

    [Fact]
    public void The_same_negatives_on_other_threads_time_a_cell_before_other_negatives_on_its_threads()
    {
        var times = new EpochTimes();
        times.Add(false, "yelp2018", Segmented("""{"loss": "sl", "negatives": "800"}""", [(1, 2)], 30, 30));
        times.Add(false, "yelp2018", Segmented("""{"loss": "sl", "negatives": "10"}""", [(1, 1)], 11, 11));
        times.Add(false, "yelp2018", Segmented("""{"loss": "sl", "negatives": "800"}""", [(1, 1)], 50, 50));
        Cell cell = Cell("yelp2018", ("loss", "sl"), ("negatives", "800"));
        Assert.Equal(50.0, times.SecondsPerEpoch(false, cell, threads: 1)!.Value, 9);   // both match
        Assert.Equal(30.0, times.SecondsPerEpoch(false, cell, threads: 2)!.Value, 9);
        Assert.Equal(40.0, times.SecondsPerEpoch(false, cell, threads: 4)!.Value, 9);   // no thread match: both 800s
    }

    [Fact]
    public void Epochs_trained_on_the_runners_thread_count_time_a_cell_when_there_are_some()
    {
        var times = new EpochTimes();
        // Epochs 1-3 on two threads (10 s), 4 on one (16 s); the segments listed out of order.
        times.Add(false, "yelp2018", Segmented("""{"loss": "sl"}""", [(4, 1), (1, 2)], 10, 10, 10, 16));
        Assert.Equal(16.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")), threads: 1)!.Value, 9);
        Assert.Equal(10.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")), threads: 2)!.Value, 9);
        // No epoch on that many threads, or the count unknown: its thread groups' medians, weighted by their epochs.
        Assert.Equal(11.5, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")), threads: 4)!.Value, 9);
        Assert.Equal(11.5, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")))!.Value, 9);
        // Each cell counts once beside another: (11.5 + 20) / 2.
        times.Add(false, "yelp2018", Segmented("""{"loss": "sl"}""", [(1, 2)], 20));
        Assert.Equal(15.75, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "sl")))!.Value, 9);
        // The loss still comes first: a same-loss cell of unknown threads beats another loss's one-thread epochs.
        times.Add(false, "yelp2018", Segmented("""{"loss": "mml"}""", [(1, null)], 5, 5));
        Assert.Equal(5.0, times.SecondsPerEpoch(false, Cell("yelp2018", ("loss", "mml")), threads: 1)!.Value, 9);
    }

    [Fact]
    public void A_started_cell_goes_at_the_pace_of_its_latest_process()
    {
        var epochs = new JsonArray([.. new[] { 10.0, 10, 10, 20, 22 }.Select((s, i) => (JsonNode)new JsonObject { ["epoch"] = i + 1, ["trainSeconds"] = s })]);
        var segments = new JsonArray(new JsonObject { ["firstEpoch"] = 1 }, new JsonObject { ["firstEpoch"] = 4 });
        Assert.Equal(21.0, EpochTimes.MedianTrainSeconds(epochs, segments)!.Value, 9);
        Assert.Equal(21.0, EpochTimes.MedianTrainSeconds(epochs, new JsonArray(segments[1]!.DeepClone(), segments[0]!.DeepClone()))!.Value, 9);
        Assert.Equal(10.0, EpochTimes.MedianTrainSeconds(epochs)!.Value, 9);
        // A process that has not finished an epoch yet: the history before it.
        segments.Add(new JsonObject { ["firstEpoch"] = 6 });
        Assert.Equal(10.0, EpochTimes.MedianTrainSeconds(epochs, segments)!.Value, 9);
        // That process's epochs: one stretched by a pause does not move the pace (a mean would say 196.7 s).
        epochs.Add(new JsonObject { ["epoch"] = 6, ["trainSeconds"] = 540.0 });
        epochs.Add(new JsonObject { ["epoch"] = 7, ["trainSeconds"] = 24.0 });
        epochs.Add(new JsonObject { ["epoch"] = 8, ["trainSeconds"] = 26.0 });
        Assert.Equal(26.0, EpochTimes.MedianTrainSeconds(epochs, segments)!.Value, 9);
    }

    [Fact]
    public void With_two_runners_live_the_time_left_is_also_given_as_wall_clock_and_never_under_the_longest_cell()
    {
        ExperimentRunner.LeftCell Left(string name, int epochs, double seconds, bool running) => new("spec", name, epochs, running, seconds, running);

        // 3 x 100 epochs x 10 s x 1.15 = 3,450 s one at a time (0:57), over two runners 1,725 s (0:28).
        string three = ExperimentRunner.TimeLeft([Left("a", 100, 10, true), Left("b", 100, 10, true), Left("c", 100, 10, false)]);
        Assert.Contains("about 0.00:57 (d.hh:mm) one cell at a time", three);
        Assert.Contains("with the 2 runners training now side by side, about 0.00:28 of wall-clock", three);
        // One long cell: 1,000 epochs x 10 s x 1.15 = 11,500 s (3:11) however many runners.
        Assert.Contains("about 0.03:11 of wall-clock", ExperimentRunner.TimeLeft([Left("a", 1000, 10, true), Left("b", 10, 10, true)]));
        // One runner: no wall-clock figure beside the sum.
        Assert.DoesNotContain("wall-clock", ExperimentRunner.TimeLeft([Left("a", 100, 10, true), Left("c", 100, 10, false)]));
    }
}
