using RecLoss.Core.Models;

namespace RecLoss.Cli;

/// <summary>
/// Where train saves its model: --save PATH, or model.rlm beside run.json with --out. Checked for writing before any
/// data loads; an existing file is replaced only with --force; written through a temporary file and renamed.
/// </summary>
internal sealed class ModelOutput
{
    public const string DefaultName = "model.rlm";

    private ModelOutput(string path, bool withOptimizer, bool besideRecord)
    {
        Path = path;
        WithOptimizer = withOptimizer;
        _besideRecord = besideRecord;
    }

    private readonly bool _besideRecord;

    public string Path { get; private set; }

    /// <summary>With --out and no --save: the model takes the record's name, so a record written under a suffixed name
    /// (run-SUFFIX.json, because another run's run.json appeared meanwhile) gets model-SUFFIX.rlm beside it.</summary>
    public void NameAfter(string recordPath)
    {
        string record = System.IO.Path.GetFileNameWithoutExtension(recordPath);
        if (_besideRecord && record.StartsWith("run-", StringComparison.Ordinal))
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "model-" + record["run-".Length..] + ".rlm");
        }
    }

    /// <summary>--save-optimizer: the optimizer state goes into the file too, so training can continue from it.</summary>
    public bool WithOptimizer { get; }

    public static ModelOutput? Prepare(ArgumentReader args, RunOutput? run)
    {
        string? save = args.String("save");
        bool withOptimizer = args.Flag("save-optimizer");
        bool force = args.Flag("force");
        if (save is null && run is null)
        {
            return withOptimizer ? throw new UsageException("--save-optimizer stores the optimizer state in the model file, so it needs --save PATH or --out DIR") : null;
        }
        string path = save ?? System.IO.Path.Combine(run!.Folder, DefaultName);
        if (path.Trim().Length == 0)
        {
            throw new UsageException("--save: the file name is empty (expected a path such as model.rlm)");
        }
        if (Directory.Exists(path))
        {
            throw new UsageException($"--save: '{path}' is a folder (expected a file path such as {System.IO.Path.Combine(path, DefaultName)}); nothing was trained");
        }
        if (File.Exists(path) && !force)
        {
            throw new UsageException($"{(save is null ? "--out" : "--save")}: '{path}' exists; add --force to replace it, or choose another path (nothing was trained)");
        }
        RunOutput.EnsureWritableFolder(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, "--save", $"'{path}'");
        return new ModelOutput(System.IO.Path.GetFullPath(path), withOptimizer, save is null);
    }

    /// <exception cref="OutputException">The file could not be written; an earlier file at the path is left whole.</exception>
    public void Write(TrainedModel model, OptimizerState? optimizer)
    {
        try
        {
            ModelFile.Save(model, Path, WithOptimizer ? optimizer : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException($"could not write the model to '{Path}' ({e.Message.TrimEnd('.')}); any earlier file there is unchanged");
        }
    }
}
