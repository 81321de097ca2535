using System.Globalization;
using System.Text.Json.Nodes;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// Seconds per epoch of a cell still to train, from the cells added (finished ones, and started ones' checkpoints)
/// most like it: the same data set and encoder, the same loss where one was added (any loss otherwise), the same
/// number of negatives where one was added (scaled by the negatives otherwise). An epoch's cost grows with the
/// negatives: (n + 100) / (n' + 100) puts Yelp2018's CCL and SL epochs at 800 negatives within 25 % of their measured
/// ones from the 100-negative cells, where one mean over every cell was 2-5x short; but averaged with cells at 10-50
/// negatives it put bsl-noise's 800-negative SL and BSL cells at 90 s per epoch where the finished 800-negative ones
/// took 30-57 s. Among those, cells timed on the live runners' thread count go first, then finished cells.
/// LightGCN propagates the whole graph once per batch, so its epoch costs layers x batches more than negatives: its
/// cells are timed only by cells of the same layers, batch size, rows per epoch and negatives (Gowalla's BSL, 18.9 s
/// per epoch on one layer, scaled by the negatives put BPR on three layers at 0.9 s; it took 26.2 s).
/// </summary>
internal sealed class EpochTimes
{
    private readonly List<Timed> _timed = [];

    /// <summary>A cell's (the <see cref="Cell"/>-th added) median seconds per epoch over its <see cref="Epochs"/> epochs
    /// trained on <see cref="Threads"/> threads (null: a result that predates the record of threads); <see cref="Started"/>
    /// for a cell not finished, timed by its checkpoint.</summary>
    private sealed record Timed(int Cell, bool Smoke, string? Data, string Encoder, string? Propagation, string Loss, int Negatives, int? Threads,
        double Seconds, int Epochs, bool Started = false);

    private int _cells;

    /// <summary>Adds a finished result (its grid's data set, its options as written, its epochs' train seconds and the
    /// segments that say on how many threads each epoch trained); a result without timed epochs is left out.</summary>
    public void Add(bool smoke, string? data, JsonNode result)
    {
        if (result["options"] is JsonObject options && result["epochs"] is JsonArray epochs)
        {
            Add(smoke, data, options.ToDictionary(o => o.Key, o => ExperimentRunner.Text(o.Value), StringComparer.Ordinal), epochs, result["segments"] as JsonArray);
        }
    }

    /// <summary>Adds the timed epochs of a cell trained with <paramref name="written"/> (a result's, or a started cell's
    /// checkpoint history and segments).</summary>
    public void Add(bool smoke, string? data, IReadOnlyDictionary<string, string?> written, JsonArray epochs, JsonArray? segments, bool started = false)
    {
        if (epochs.Count == 0)
        {
            return;
        }
        foreach (IGrouping<int?, (int Epoch, int? Threads, double Seconds)> group in Seconds(epochs, segments).GroupBy(e => e.Threads))
        {
            _timed.Add(Describe(smoke, data, written, group.Key, Median(group.Select(e => e.Seconds))) with { Cell = _cells, Epochs = group.Count(), Started = started });
        }
        _cells++;
    }

    /// <summary>The estimated train seconds per epoch of a cell, on <paramref name="threads"/> threads when finished
    /// cells alike were timed on that many (any otherwise); null when no cell added shares its data set and encoder
    /// (and for LightGCN its propagation).</summary>
    public double? SecondsPerEpoch(bool smoke, Cell cell, int? threads = null)
    {
        Timed wanted = Describe(smoke, cell.Data, cell.Options, threads, 0);
        List<Timed> alike = [.. _timed.Where(t => t.Smoke == wanted.Smoke && t.Data == wanted.Data && t.Encoder == wanted.Encoder
            && t.Propagation == wanted.Propagation)];
        List<Timed> sameLoss = [.. alike.Where(t => t.Loss == wanted.Loss)];
        List<Timed> basis = sameLoss.Count > 0 ? sameLoss : alike;
        // The negatives before the threads: scaling other negatives misses more (2.5x) than another thread count (1.6x).
        List<Timed> sameNegatives = [.. basis.Where(t => t.Negatives == wanted.Negatives)];
        basis = sameNegatives.Count > 0 ? sameNegatives : basis;
        List<Timed> sameThreads = [.. basis.Where(t => threads is not null && t.Threads == threads)];
        basis = sameThreads.Count > 0 ? sameThreads : basis;
        // Among cells equally alike, finished ones go first: a started cell's epochs so far may not be its pace.
        List<Timed> finished = [.. basis.Where(t => !t.Started)];
        basis = finished.Count > 0 ? finished : basis;
        // Each cell counts once: its thread groups' medians kept (weighted by their epochs), scaled to the cell's negatives.
        return basis.Count == 0 ? null
            : basis.GroupBy(t => t.Cell).Average(c => c.Sum(t => t.Seconds * t.Epochs) / c.Sum(t => t.Epochs) * (wanted.Negatives + 100.0) / (c.First().Negatives + 100.0));
    }

    /// <summary>The median train seconds of epoch records (a result's epochs, a checkpoint's history), over the epochs of
    /// the last segment when it has any (the pace of the process training it now); null when none holds a number.</summary>
    public static double? MedianTrainSeconds(JsonArray epochs, JsonArray? segments = null)
    {
        List<(int Epoch, int? Threads, double Seconds)> timed = Seconds(epochs, segments);
        int lastFirst = FirstEpoch(LastSegment(segments));
        List<(int Epoch, int? Threads, double Seconds)> recent = [.. timed.Where(e => e.Epoch >= lastFirst)];
        List<(int Epoch, int? Threads, double Seconds)> basis = recent.Count > 0 ? recent : timed;
        return basis.Count > 0 ? Median(basis.Select(e => e.Seconds)) : null;
    }

    /// <summary>Each timed epoch with its seconds and the thread count of the segment that trained it (the last
    /// segment starting at or before the epoch; null where unknown).</summary>
    private static List<(int Epoch, int? Threads, double Seconds)> Seconds(JsonArray epochs, JsonArray? segments)
    {
        List<(int First, int? Threads)> starts = [.. (segments ?? []).Select(s => (FirstEpoch(s), Threads(s)))];
        return [.. epochs.Select((e, i) => (Epoch: EpochNumber(e, i), Seconds: TrainSeconds(e)))
            .Where(e => double.IsFinite(e.Seconds))
            .Select(e => (e.Epoch, starts.Where(s => s.First <= e.Epoch).OrderByDescending(s => s.First).Select(s => s.Threads).FirstOrDefault(), e.Seconds))];
    }

    /// <summary>The median: an epoch stretched by a pause (a stopped process, a CI run beside it) does not move it, where
    /// Gowalla BSL at 800 (Figure 3), paused for CI runs, has a 539 s epoch among 56 s ones: mean 68.3 s, median 55.8 s.</summary>
    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The segment with the latest first epoch (the process that trained last); null when there is none.</summary>
    public static JsonNode? LastSegment(JsonArray? segments) => segments?.MaxBy(FirstEpoch);

    /// <summary>The thread count a segment records; null for one written before the field.</summary>
    public static int? Threads(JsonNode? segment) =>
        segment?["threads"] is JsonValue t && t.TryGetValue(out int threads) ? threads : null;

    private static int FirstEpoch(JsonNode? segment) =>
        segment?["firstEpoch"] is JsonValue f && f.TryGetValue(out int first) ? first : 1;

    private static int EpochNumber(JsonNode? epoch, int index) =>
        epoch?["epoch"] is JsonValue v && v.TryGetValue(out int n) ? n : index + 1;

    private static double TrainSeconds(JsonNode? epoch) =>
        epoch?["trainSeconds"] is JsonValue v && v.TryGetValue(out double x) ? x : double.NaN;

    private static Timed Describe(bool smoke, string? data, IReadOnlyDictionary<string, string?> options, int? threads, double seconds)
    {
        string encoder = Option(options, "encoder") ?? "mf";
        int negatives = int.TryParse(Option(options, "negatives"), CultureInfo.InvariantCulture, out int n) ? n : TrainerOptions.Defaults.Negatives;
        // What a LightGCN epoch's cost follows (see the summary); null for the encoders whose cost the negatives scale.
        string? propagation = encoder == "lightgcn"
            ? string.Join('/', Option(options, "layers"), Option(options, "batch-size"), Option(options, "epoch-rows"), negatives)
            : null;
        return new(0, smoke, data, encoder, propagation, Option(options, "loss") ?? "mml", negatives, threads, seconds, 1);
    }

    private static string? Option(IReadOnlyDictionary<string, string?> options, string name) =>
        options.TryGetValue(name, out string? value) ? value : null;
}
