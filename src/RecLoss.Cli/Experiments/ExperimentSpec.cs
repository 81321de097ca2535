using System.Globalization;
using RecLoss.Core.Data;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RecLoss.Cli.Experiments;

/// <summary>One run of an experiment: its grid values (which name it) and the train options it runs with.</summary>
/// <param name="Key">A file-name-safe name from the grid values, e.g. "yelp2018_mml_2019".</param>
internal sealed record Cell(string Key, IReadOnlyDictionary<string, string> Grid, IReadOnlyDictionary<string, string?> Options, string? Data);

/// <summary>A published figure for the cells a condition selects.</summary>
internal sealed record Published(IReadOnlyDictionary<string, string> When, double? Recall, double? Ndcg, string Source);

/// <summary>
/// An experiment spec (YAML): <c>name</c>, <c>description</c>, <c>order</c> (where <c>recloss report</c> places it among
/// every spec, lowest first; optional), <c>base</c> (train options of every cell), <c>grid</c>
/// (option: [values], every combination in the order written; <c>data</c> names a data set under the data root,
/// <c>seed</c> the seed, and a key starting with <c>@</c> is a label that only <c>per</c> gives a meaning), <c>per</c> (a list of <c>when: {grid values}</c>, <c>set: {options}</c> overrides, applied in
/// order), <c>published</c> (a list of <c>when</c>, <c>recall</c>, <c>ndcg</c>, <c>source</c>), <c>choose</c> (grid keys
/// whose value <c>experiment table</c> picks per row by the validation split, as a paper's grid search would), and <c>smoke</c>
/// (<c>set</c>: options for the short version on generated data). Option names are train's, without dashes; a value
/// <c>true</c> gives a flag, <c>false</c> leaves it out. Every mistake names the file and line.
/// </summary>
internal sealed class ExperimentSpec
{
    private ExperimentSpec(string path) => Path = path;

    public string Path { get; }

    public string Name { get; private set; } = "";

    public string Description { get; private set; } = "";

    /// <summary>The report's place for this spec among all of them (lowest first); specs without one come last, by file name.</summary>
    public int Order { get; private set; } = int.MaxValue;

    private Dictionary<string, string?> _base = [];
    private readonly List<(string Key, List<string> Values)> _grid = [];
    private readonly List<(Dictionary<string, string> When, Dictionary<string, string?> Set)> _per = [];
    private Dictionary<string, string?> _smoke = [];

    public List<Published> Published { get; } = [];

    /// <summary>The grid keys whose value the chosen table picks by validation Recall@20 (empty: no such table).</summary>
    public IReadOnlyList<string> Choose { get; private set; } = [];

    public IReadOnlyList<string> GridKeys => [.. _grid.Select(g => g.Key)];

    public static ExperimentSpec Load(string path)
    {
        YamlMappingNode root;
        try
        {
            var yaml = new YamlStream();
            using var reader = new StreamReader(path);
            yaml.Load(reader);
            root = yaml.Documents.Count == 1 && yaml.Documents[0].RootNode is YamlMappingNode m
                ? m : throw new DataFormatException(path, 1, "expected one YAML document holding a mapping (name:, grid:, ...)");
        }
        catch (YamlException e)
        {
            throw new DataFormatException(path, e.Start.Line, $"not valid YAML: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, 0, $"cannot be read: {e.Message}");
        }
        var spec = new ExperimentSpec(path);
        YamlNode? chooseNode = null;
        foreach ((YamlNode keyNode, YamlNode value) in root.Children)
        {
            string key = spec.Scalar(keyNode, "a key");
            switch (key)
            {
                case "name":
                    spec.Name = spec.Scalar(value, "name");
                    if (spec.Name.Length == 0 || spec.Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
                    {
                        throw spec.Error(value, $"name '{spec.Name}' must be letters, digits, '-' and '_' (it names the results folder)");
                    }
                    break;
                case "description":
                    spec.Description = spec.Scalar(value, "description");
                    break;
                case "order":
                    string orderText = spec.Scalar(value, "order");
                    spec.Order = int.TryParse(orderText, NumberStyles.None, CultureInfo.InvariantCulture, out int order)
                        ? order : throw spec.Error(value, $"order '{orderText}' must be a whole number of 0 or more (the report's place of the spec)");
                    break;
                case "base":
                    spec._base = spec.Options(value, "base");
                    break;
                case "grid":
                    foreach ((YamlNode k, YamlNode v) in spec.Mapping(value, "grid").Children)
                    {
                        List<string> values = v is YamlSequenceNode seq ? [.. seq.Children.Select(n => spec.Scalar(n, "a grid value"))] : [spec.Scalar(v, "a grid value")];
                        if (values.Count == 0)
                        {
                            throw spec.Error(v, $"grid '{spec.Scalar(k, "")}' has no values");
                        }
                        spec._grid.Add((spec.Scalar(k, "a grid key"), values));
                    }
                    break;
                case "per":
                    foreach (YamlNode item in spec.Sequence(value, "per"))
                    {
                        YamlMappingNode entry = spec.Mapping(item, "a per entry");
                        spec._per.Add((spec.When(entry, item), spec.Options(spec.Field(entry, "set", item), "set")));
                    }
                    break;
                case "published":
                    foreach (YamlNode item in spec.Sequence(value, "published"))
                    {
                        YamlMappingNode entry = spec.Mapping(item, "a published entry");
                        spec.Published.Add(new Published(spec.When(entry, item), spec.Number(entry, "recall"), spec.Number(entry, "ndcg"),
                            entry.Children.TryGetValue(new YamlScalarNode("source"), out YamlNode? s) ? spec.Scalar(s, "source") : ""));
                    }
                    break;
                case "choose":
                    chooseNode = value;
                    spec.Choose = value is YamlSequenceNode keys ? [.. keys.Children.Select(n => spec.Scalar(n, "a choose key"))] : [spec.Scalar(value, "choose")];
                    break;
                case "smoke":
                    spec._smoke = spec.Options(spec.Field(spec.Mapping(value, "smoke"), "set", value), "smoke set");
                    break;
                default:
                    throw spec.Error(keyNode, $"unknown key '{key}' (expected name, description, order, base, grid, per, published, choose, smoke)");
            }
        }
        if (spec.Name.Length == 0)
        {
            throw new DataFormatException(path, 1, "the spec needs a name:");
        }
        if (spec._grid.Count == 0)
        {
            throw new DataFormatException(path, 1, "the spec needs a grid: with at least one option and its values");
        }
        // Two cells of one name would share a run folder and a result file.
        foreach (IGrouping<string, Cell> same in spec.Cells(smoke: false).GroupBy(c => c.Key).Where(g => g.Count() > 1))
        {
            throw new DataFormatException(path, 1, $"{same.Count()} cells are named '{same.Key}' (a grid value repeated, or values that differ only in characters a file name cannot hold)");
        }
        if (chooseNode is not null)
        {
            spec.CheckChoose(chooseNode);
        }
        return spec;
    }

    /// <summary>Each choose key is a grid key other than data and seed, and every cell (full and smoke) has the
    /// validation split the choice reads, watched for Recall@20: a cell whose early stopping or learning-rate cuts
    /// watch the test split would let it steer the candidates.</summary>
    private void CheckChoose(YamlNode at)
    {
        if (Choose.Count == 0 || Choose.Any(k => k.Length == 0) || Choose.Distinct().Count() != Choose.Count)
        {
            throw Error(at, "choose: expected one or more different grid keys (e.g. choose: temperature)");
        }
        string[] choosable = [.. _grid.Select(g => g.Key).Where(k => k is not ("data" or "seed"))];
        foreach (string key in Choose.Where(k => !choosable.Contains(k)))
        {
            throw Error(at, $"choose: '{key}' is not a grid key to choose among ({(choosable.Length > 0 ? $"the grid has {string.Join(", ", choosable)}" : "the grid has none but data and seed")}; data and seed are never chosen)");
        }
        foreach (Cell cell in Cells(smoke: false).Concat(Cells(smoke: true)))
        {
            string? problem = !cell.Options.ContainsKey("validation-ratio") ? "has no validation split (set validation-ratio in base:, and keep it in per: and smoke:)"
                : cell.Options.GetValueOrDefault("select-on") == "test" ? "selects epochs on the test split (select-on: test), which would let the test split steer the candidates"
                : cell.Options.GetValueOrDefault("select-metric", "recall") != "recall" || cell.Options.GetValueOrDefault("select-k", "20") != "20"
                    ? "selects epochs by another metric than Recall@20 (select-metric, select-k), the one the choice compares"
                : null;
            if (problem is not null)
            {
                throw Error(at, $"choose: picks by validation Recall@20, but cell '{cell.Key}' {problem}");
            }
        }
    }

    /// <summary>Every cell of the grid in order, with base, per-cell and (smoke) overrides applied.</summary>
    public List<Cell> Cells(bool smoke)
    {
        var cells = new List<Cell>();
        foreach (Dictionary<string, string> grid in Combinations(0, []))
        {
            var options = new Dictionary<string, string?>(_base, StringComparer.Ordinal);
            string? data = null;
            foreach ((string key, string value) in grid)
            {
                if (key == "data")
                {
                    data = value;
                }
                else if (!key.StartsWith('@'))
                {
                    options[key] = value;
                }
            }
            foreach ((Dictionary<string, string> when, Dictionary<string, string?> set) in _per)
            {
                if (Holds(when, grid))
                {
                    foreach ((string k, string? v) in set)
                    {
                        options[k] = v;
                    }
                }
            }
            if (smoke)
            {
                foreach ((string k, string? v) in _smoke)
                {
                    options[k] = v;
                }
                if (options.GetValueOrDefault("sampler") == "in-batch-all")
                {
                    options.Remove("negatives");   // in-batch-all's negatives follow the (smoke) batch size
                }
            }
            options = options.Where(o => o.Value != "false").ToDictionary(o => o.Key, o => o.Value == "true" ? null : o.Value, StringComparer.Ordinal);
            string name = string.Join("_", grid.Values.Select(v => new string([.. v.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-')])));
            cells.Add(new Cell(name, grid, options, data));
        }
        return cells;
    }

    /// <summary>The published figure for a cell, if any (the last entry whose condition holds).</summary>
    public Published? PublishedFor(IReadOnlyDictionary<string, string> grid) => Published.LastOrDefault(p => Holds(p.When, grid));

    /// <summary>Whether a cell's grid values meet a <c>when:</c> condition (every key it names has that value).</summary>
    private static bool Holds(IReadOnlyDictionary<string, string> when, IReadOnlyDictionary<string, string> grid) =>
        when.All(w => grid.TryGetValue(w.Key, out string? v) && v == w.Value);

    private IEnumerable<Dictionary<string, string>> Combinations(int level, Dictionary<string, string> chosen)
    {
        if (level == _grid.Count)
        {
            yield return new Dictionary<string, string>(chosen, StringComparer.Ordinal);
            yield break;
        }
        foreach (string value in _grid[level].Values)
        {
            chosen[_grid[level].Key] = value;
            foreach (Dictionary<string, string> c in Combinations(level + 1, chosen))
            {
                yield return c;
            }
        }
        chosen.Remove(_grid[level].Key);
    }

    private DataFormatException Error(YamlNode node, string problem) => new(Path, node.Start.Line, problem);

    private string Scalar(YamlNode node, string what) => node is YamlScalarNode s ? s.Value ?? "" : throw Error(node, $"{what}: expected a single value, found a {(node is YamlSequenceNode ? "list" : "mapping")}");

    private YamlMappingNode Mapping(YamlNode node, string what) => node as YamlMappingNode ?? throw Error(node, $"{what}: expected a mapping (key: value lines)");

    private IEnumerable<YamlNode> Sequence(YamlNode node, string what) => (node as YamlSequenceNode ?? throw Error(node, $"{what}: expected a list (- entries)")).Children;

    private YamlNode Field(YamlMappingNode map, string key, YamlNode at) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? v) ? v : throw Error(at, $"expected a '{key}:' here");

    /// <summary>The train options experiment run sets for every cell itself (its run folder, checkpoint and threads), and
    /// --init, which its checkpoints exclude: a spec naming one would be overridden or refused only when the cell runs.</summary>
    private static readonly HashSet<string> RunnerOptions = new(["out", "force", "checkpoint", "resume", "checkpoint-every", "threads", "init"], StringComparer.Ordinal);

    private Dictionary<string, string?> Options(YamlNode node, string what)
    {
        YamlMappingNode mapping = Mapping(node, what);
        foreach (YamlNode key in mapping.Children.Keys.Where(k => RunnerOptions.Contains(Scalar(k, "an option name"))))
        {
            throw Error(key, $"{what}: '{Scalar(key, "")}' is not a spec option: experiment run sets out, force, checkpoint, resume, checkpoint-every and threads for every cell (give --checkpoint-every and --threads to experiment run), and init conflicts with its checkpoints");
        }
        return mapping.Children.ToDictionary(p => Scalar(p.Key, "an option name"), p => (string?)Scalar(p.Value, $"option '{Scalar(p.Key, "")}'"), StringComparer.Ordinal);
    }

    private Dictionary<string, string> When(YamlMappingNode entry, YamlNode at)
    {
        Dictionary<string, string> when = Mapping(Field(entry, "when", at), "when").Children
            .ToDictionary(p => Scalar(p.Key, "a grid key"), p => Scalar(p.Value, "a grid value"), StringComparer.Ordinal);
        foreach (string key in when.Keys.Where(k => _grid.All(g => g.Key != k)))
        {
            throw Error(at, $"when: '{key}' is not a grid key (the grid has {string.Join(", ", _grid.Select(g => g.Key))}; write grid: before per: and published:)");
        }
        return when;
    }

    private double? Number(YamlMappingNode entry, string key)
    {
        if (!entry.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? node))
        {
            return null;
        }
        string text = Scalar(node, key);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value is >= 0 and <= 1
            ? value : throw Error(node, $"{key}: '{text}' is not a number in [0, 1]");
    }
}
