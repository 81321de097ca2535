using System.Globalization;
using System.Text.Json.Nodes;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// Seconds per epoch of a cell still to train, from the finished cells most like it: the same data set and encoder,
/// the same loss when one has finished (any loss otherwise), scaled by the number of negatives. An epoch's cost grows
/// with the negatives: (n + 100) / (n' + 100) puts Yelp2018's CCL and SL epochs at 800 negatives within 25 % of
/// their measured ones from the 100-negative cells, where one mean over every cell was 2-5x short.
/// </summary>
internal sealed class EpochTimes
{
    private readonly List<Timed> _timed = [];

    private sealed record Timed(bool Smoke, string? Data, string Encoder, string Loss, int Negatives, double Seconds);

    /// <summary>Adds a finished result (its grid's data set, its options as written, its epochs' train seconds);
    /// a result without timed epochs (none, or not numbers) is left out.</summary>
    public void Add(bool smoke, string? data, JsonNode result)
    {
        if (result["options"] is not JsonObject options || result["epochs"] is not JsonArray { Count: > 0 } epochs)
        {
            return;
        }
        if (MeanTrainSeconds(epochs) is { } seconds)
        {
            _timed.Add(Describe(smoke, data, options.ToDictionary(o => o.Key, o => ExperimentRunner.Text(o.Value), StringComparer.Ordinal), seconds));
        }
    }

    /// <summary>The estimated train seconds per epoch of a cell; null when no finished cell shares its data set and
    /// encoder.</summary>
    public double? SecondsPerEpoch(bool smoke, Cell cell)
    {
        Timed wanted = Describe(smoke, cell.Data, cell.Options, 0);
        List<Timed> alike = [.. _timed.Where(t => t.Smoke == wanted.Smoke && t.Data == wanted.Data && t.Encoder == wanted.Encoder)];
        List<Timed> sameLoss = [.. alike.Where(t => t.Loss == wanted.Loss)];
        List<Timed> basis = sameLoss.Count > 0 ? sameLoss : alike;
        return basis.Count == 0 ? null
            : basis.Average(t => t.Seconds * (wanted.Negatives + 100.0) / (t.Negatives + 100.0));
    }

    /// <summary>The mean train seconds of epoch records (a result's epochs, a checkpoint's history); null when none
    /// holds a number.</summary>
    public static double? MeanTrainSeconds(JsonArray epochs)
    {
        double[] seconds = [.. epochs.Select(e => e?["trainSeconds"] is JsonValue v && v.TryGetValue(out double x) ? x : double.NaN).Where(double.IsFinite)];
        return seconds.Length > 0 ? seconds.Average() : null;
    }

    private static Timed Describe(bool smoke, string? data, IReadOnlyDictionary<string, string?> options, double seconds) =>
        new(smoke, data, Option(options, "encoder") ?? "mf", Option(options, "loss") ?? "mml",
            int.TryParse(Option(options, "negatives"), CultureInfo.InvariantCulture, out int n) ? n : TrainerOptions.Defaults.Negatives,
            seconds);

    private static string? Option(IReadOnlyDictionary<string, string?> options, string name) =>
        options.TryGetValue(name, out string? value) ? value : null;
}
