using RecLoss.Core.Data;
using RecLoss.Core.Models;

namespace RecLoss.Cli;

/// <summary>The options that name a saved model and the ids looked up in it; shared by recommend, similar, evaluate and serve.</summary>
internal static class ModelArguments
{
    public static readonly OptionSpec Model = new("model", "PATH", Section.Query, "required: a model file written by 'recloss train --save PATH' (or model.rlm beside run.json)");

    public const int MaxK = 10_000;

    public static readonly OptionSpec K = new("k", "N", Section.Query, $"how many items, 1 to {MaxK:N0} (default 20)");

    /// <summary>Reads --model; the file is checked when <see cref="Load"/> is called, after every option is read.</summary>
    public static string Path(ArgumentReader args)
    {
        string path = args.String("model") ?? throw new UsageException("--model PATH is required (a file written by 'recloss train --save PATH')");
        if (path.Trim().Length == 0)
        {
            throw new UsageException("--model: the path is empty (expected a model file)");
        }
        if (Directory.Exists(path))
        {
            throw new UsageException($"--model: '{path}' is a folder (expected a model file, such as {System.IO.Path.Combine(path, ModelOutput.DefaultName)})");
        }
        return path;
    }

    public static int ReadK(ArgumentReader args) => args.Int("k", 20, 1, MaxK);

    /// <summary>Loads the model; a missing or damaged file is a data error naming the file and the section.</summary>
    public static TrainedModel Load(string path)
    {
        try
        {
            return ModelFile.Load(path);
        }
        catch (ModelFileException e)
        {
            throw AsDataError(path, e);
        }
    }

    /// <summary>The model's index of a user id, or a usage error that says how many users the model has.</summary>
    public static int User(TrainedModel model, string id, string option) =>
        model.Users.TryGetIndex(id, out int index) ? index
            : throw new UsageException($"{option}: user '{ArgumentReader.Shorten(id)}' is not in the model ({model.Users.Count:N0} users, such as {Examples(model.Users)}); for a new user give her items with --history");

    public static int Item(TrainedModel model, string id, string option) =>
        model.Items.TryGetIndex(id, out int index) ? index
            : throw new UsageException($"{option}: item '{ArgumentReader.Shorten(id)}' is not in the model ({model.Items.Count:N0} items, such as {Examples(model.Items)})");

    /// <summary>Ids from a file, one per line (blank lines and '#' comments skipped), with their line numbers.</summary>
    public static List<(string Id, int Line)> ReadIdFile(string path, string option)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--{option}: cannot read '{path}' ({e.Message.TrimEnd('.')})");
        }
        var ids = new List<(string, int)>();
        for (int n = 0; n < lines.Length; n++)
        {
            string id = lines[n].Trim();
            if (id.Length > 0 && !id.StartsWith('#'))
            {
                ids.Add((id, n + 1));
            }
        }
        return ids;
    }

    /// <summary>Item ids from a file as model indices; ids the model does not know are reported, not guessed.</summary>
    public static HashSet<int>? ItemSet(ArgumentReader args, string option, TrainedModel model, TextWriter notes) =>
        args.String(option) is { } path ? [.. Lookup(path, option, model.Items, "items", notes)] : null;

    /// <summary>The ids of a file (one per line) as indices of <paramref name="ids"/>; unknown ids are named on stderr and left out.</summary>
    public static List<int> Lookup(string path, string option, IdIndex ids, string what, TextWriter notes)
    {
        var found = new List<int>();
        var unknown = new List<string>();
        foreach ((string id, int line) in ReadIdFile(path, option))
        {
            if (ids.TryGetIndex(id, out int index))
            {
                found.Add(index);
            }
            else
            {
                unknown.Add($"line {line} '{ArgumentReader.Shorten(id)}'");
            }
        }
        if (unknown.Count > 0)
        {
            notes.WriteLine($"note: --{option} {path}: {unknown.Count} ids are not {what} of the model and were left out ({string.Join(", ", unknown.Take(3))}{(unknown.Count > 3 ? ", ..." : "")})");
        }
        return found;
    }

    /// <summary>A model file's complaint as a data error (exit 3) naming the file and the section.</summary>
    public static DataFormatException AsDataError(string path, ModelFileException e) =>
        new(path, 0, e.Problem + (e.Section.Length > 0 ? $" (section {e.Section})" : ""));

    private static string Examples(IdIndex ids) => string.Join(", ", ids.Ids.Take(3).Select(i => $"'{ArgumentReader.Shorten(i)}'"));
}
