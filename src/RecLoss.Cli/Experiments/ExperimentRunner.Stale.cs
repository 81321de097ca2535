using System.Text.Json;
using System.Text.Json.Nodes;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// A result trained before its spec changed: its recorded options differ from those the spec now gives the cell. It
/// answers another question than the spec asks, so run does not count it done (nor overwrite it: moving it aside is the
/// user's choice), status lists it with the difference, and tables and the report leave it out.
/// </summary>
internal sealed partial class ExperimentRunner
{
    /// <summary>How a cell's result differs from the spec: each option whose value differs, as
    /// "--key: X in the result, Y in the spec" (unset when absent); null when they agree or there is no result.</summary>
    public string? Stale(Cell cell)
    {
        if (!File.Exists(ResultPath(cell)))
        {
            return null;
        }
        try
        {
            return OptionsDiffer(cell.Options, JsonNode.Parse(File.ReadAllText(ResultPath(cell)))?["options"]);
        }
        catch (JsonException e)
        {
            return $"its result is not JSON ({e.Message})";
        }
    }

    /// <summary>The cells with a result that the spec now gives other options, with the difference, in spec order.</summary>
    public List<(Cell Cell, string Difference)> StaleResults() =>
        [.. Cells.Select(c => (Cell: c, Difference: Stale(c))).Where(s => s.Difference is not null).Select(s => (s.Cell, s.Difference!))];

    /// <summary>What to tell the user about a stale result: what differs, and how to train the cell as the spec says
    /// (its checkpoint, of the old options, is refused by train until deleted).</summary>
    public string StaleMessage(Cell cell, string difference) =>
        $"{cell.Key}: its result trained otherwise than the spec now says ({difference}); move {ResultPath(cell)} aside"
        + (Directory.Exists(CheckpointFolderOf(cell)) ? $" and delete {CheckpointFolderOf(cell)}" : "") + " to train it as the spec says";

    /// <summary>Tells <paramref name="error"/> which results a table or report leaves out as stale, one line each.</summary>
    public void WarnStale(TextWriter error, string verb)
    {
        foreach ((Cell cell, string difference) in StaleResults())
        {
            error.WriteLine($"{verb}: {Spec.Name}: left out: {StaleMessage(cell, difference)}");
        }
    }

    /// <summary>The options a result records against a cell's, key by key in ordinal order; null when equal.</summary>
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
            string? had = trained.TryGetPropertyValue(key, out JsonNode? node) ? Text(node) ?? node?.ToJsonString() : null;
            if (!string.Equals(wanted, had, StringComparison.Ordinal))
            {
                differences.Add($"--{key}: {had ?? "unset"} in the result, {wanted ?? "unset"} in the spec");
            }
        }
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }
}
