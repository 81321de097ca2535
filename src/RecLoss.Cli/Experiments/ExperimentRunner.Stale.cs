using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// A result trained before its spec changed: its recorded options differ from those the spec now gives the cell. It
/// answers another question than the spec asks, so run does not count it done (nor overwrite it: moving it aside is the
/// user's choice) and exits 1, status lists it with the difference, and tables and the report leave it out. An
/// unreadable result file, or one that records no options, is stale too: nothing says it answers the spec.
/// </summary>
internal sealed partial class ExperimentRunner
{
    /// <summary>Why a cell's result does not answer the spec now (which options differ, "--key: X in the result, Y in
    /// the spec", unset when absent; or that it cannot be read or records no options); null when it does or there is none.</summary>
    public string? Stale(Cell cell)
    {
        if (!File.Exists(ResultPath(cell)))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(ResultPath(cell))) is JsonObject result
                ? OptionsDiffer(cell.Options, result["options"])
                : "its result is not a JSON object";
        }
        catch (JsonException e)
        {
            return $"its result cannot be read ({e.Message})";
        }
    }

    /// <summary>A cell's result file as a JSON object; null when there is none or it cannot be read as one.</summary>
    private JsonObject? ReadResult(Cell cell)
    {
        try
        {
            return File.Exists(ResultPath(cell)) ? JsonNode.Parse(File.ReadAllText(ResultPath(cell))) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The cells with a stale result and why, in spec order.</summary>
    public List<(Cell Cell, string Difference)> StaleResults() =>
        [.. Cells.Select(c => (Cell: c, Difference: Stale(c))).Where(s => s.Difference is not null).Select(s => (s.Cell, s.Difference!))];

    /// <summary>What to tell the user about a stale result: why, and how to run the cell as the spec says (a checkpoint
    /// of other options is refused by train until deleted; a cell another spec trained takes that result again).</summary>
    public string StaleMessage(Cell cell, string difference)
    {
        bool otherOptions = difference.StartsWith("--", StringComparison.Ordinal);
        string why = otherOptions ? $"its result trained otherwise than the spec now says ({difference})" : difference;
        string checkpoint = otherOptions && Directory.Exists(CheckpointFolderOf(cell)) ? $" and delete {CheckpointFolderOf(cell)}" : "";
        return $"{cell.Key}: {why}; move {ResultPath(cell)} aside{checkpoint} to run it as the spec says";
    }

    /// <summary>Tells <paramref name="error"/> which results a table or report leaves out as stale, one line each.</summary>
    public void WarnStale(TextWriter error, string verb)
    {
        foreach ((Cell cell, string difference) in StaleResults())
        {
            error.WriteLine($"{verb}: {Spec.Name}: left out: {StaleMessage(cell, difference)}");
        }
    }

    /// <summary>The options a result records against a cell's, key by key in ordinal order; null when equal. Values
    /// are compared as written, and numbers also by value ("1e-3" and "0.001" agree: the same training).</summary>
    internal static string? OptionsDiffer(IReadOnlyDictionary<string, string?> spec, JsonNode? recorded)
    {
        if (recorded is not JsonObject trained)
        {
            return "its result records no options";
        }
        var differences = new List<string>();
        foreach (string key in spec.Keys.Union(trained.Select(o => o.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            string? wanted = spec.TryGetValue(key, out string? value) ? value ?? "true" : null;
            string? had = trained.TryGetPropertyValue(key, out JsonNode? node) && node is not null ? Text(node) ?? node.ToJsonString() : null;
            if (!Same(wanted, had))
            {
                differences.Add($"--{key}: {had ?? "unset"} in the result, {wanted ?? "unset"} in the spec");
            }
        }
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    private static bool Same(string? a, string? b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (a is not null && b is not null && Number(a) is { } x && Number(b) is { } y && x == y);

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
}
