using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>
/// The run record's folder, made and checked for writing before training starts, so that a bad --out never costs a
/// run. An existing run.json is replaced only with --force; files are written under per-process temporary names
/// and renamed, so a failed or concurrent write leaves the previous record whole.
/// </summary>
internal sealed class RunOutput
{
    public const string RecordName = "run.json";
    public const string NoiseName = "noisy-positives.csv";

    private readonly bool _force;

    private RunOutput(string folder, bool force)
    {
        Folder = folder;
        _force = force;
    }

    public string Folder { get; }

    /// <summary>Where the record was written: run.json, or a suffixed name when run.json appeared during the run.</summary>
    public string RecordPath { get; private set; } = "";

    /// <summary>Reads --out and --force; null without --out.</summary>
    public static RunOutput? Prepare(ArgumentReader args)
    {
        string? folder = args.String("out");
        bool force = args.Flag("force");
        if (folder is null)
        {
            return force && !args.Has("save") ? throw new UsageException("--force replaces an existing run record or model file, so it needs --out DIR or --save PATH") : null;
        }
        if (folder.Trim().Length == 0)
        {
            throw new UsageException("--out: the folder name is empty (expected a folder path)");
        }
        if (File.Exists(folder))
        {
            throw new UsageException($"--out: '{folder}' is a file (expected a folder to hold {RecordName})");
        }
        EnsureWritableFolder(folder, "--out", $"to '{folder}'");
        var output = new RunOutput(Path.GetFullPath(folder), force) { RecordPath = Path.GetFullPath(Path.Combine(folder, RecordName)) };
        foreach (string name in new[] { RecordName, NoiseName })
        {
            if (Directory.Exists(Path.Combine(output.Folder, name)))
            {
                throw new UsageException($"--out: '{Path.Combine(output.Folder, name)}' is a folder, so the run could not write its {name} (nothing was trained)");
            }
        }
        if (File.Exists(output.RecordPath) && !force)
        {
            throw new UsageException($"--out: '{output.RecordPath}' exists; add --force to replace it, or choose another --out (nothing was trained)");
        }
        return output;
    }

    /// <summary>
    /// Writes run.json and, with noise, noisy-positives.csv beside it, each through a temporary file. Without --force a
    /// run.json that appeared during training (another run) is kept and this record takes a suffixed name; a failed
    /// write leaves the previous files as they were.
    /// </summary>
    /// <returns>Notes for the user (a suffixed name); empty when all went as planned.</returns>
    /// <exception cref="OutputException">A file could not be written.</exception>
    public IReadOnlyList<string> Write(Dataset data, string dataPath, IRowLoss loss, IReadOnlyDictionary<string, object?> config, TrainingResult result,
        IReadOnlyList<(string Name, EvaluationResult Result)> baselines, InjectedPositives? noise, IReadOnlyList<string> commandLine,
        IReadOnlyList<RunSegment>? segments = null)
    {
        var notes = new List<string>();
        string suffix = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}";
        bool taken = !_force && File.Exists(Path.Combine(Folder, RecordName));
        string recordName = taken ? $"run-{suffix}.json" : RecordName;
        string noiseName = taken ? $"noisy-positives-{suffix}.csv" : NoiseName;
        string? noiseTemp = noise is null ? null : WriteTemp(Path.Combine(Folder, noiseName), stream =>
        {
            using var writer = new StreamWriter(stream);
            writer.WriteLine("user,item");
            foreach ((int user, int item) in noise.Pairs)
            {
                writer.WriteLine($"{Csv(data.Users.GetId(user))},{Csv(data.Items.GetId(item))}");
            }
        });
        var context = new RunContext(commandLine, dataPath, BuildInfo.Commit, BuildInfo.Dirty, noise is null ? null : noiseName, segments);
        string recordTemp;
        try
        {
            recordTemp = WriteTemp(Path.Combine(Folder, recordName), stream => RunRecordWriter.Write(stream, data, loss, config, result, context, baselines, noise));
        }
        catch (OutputException)
        {
            Delete(noiseTemp);
            throw;
        }
        // The pair is replaced together: the old noise file is set aside until the new record is in place.
        string noisePath = Path.Combine(Folder, noiseName), aside = noisePath + $".{suffix}.old";
        bool setAside = File.Exists(noisePath) && (noiseTemp is not null || !taken);
        try
        {
            if (setAside)
            {
                File.Move(noisePath, aside);
            }
            if (noiseTemp is not null)
            {
                File.Move(noiseTemp, noisePath);
            }
            if (!TryMove(recordTemp, Path.Combine(Folder, recordName), _force))
            {
                // Another run wrote run.json after the check above: keep it, and this record beside it.
                recordName = $"run-{suffix}.json";
                taken = true;
                File.Move(recordTemp, Path.Combine(Folder, recordName));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Delete(noiseTemp);
            Delete(recordTemp);
            if (setAside)
            {
                File.Move(aside, noisePath, overwrite: true);
            }
            throw new OutputException($"could not write {Path.Combine(Folder, recordName)} ({e.Message.TrimEnd('.')}); the results are printed above and the previous {RecordName} is unchanged");
        }
        Delete(setAside ? aside : null);
        RecordPath = Path.Combine(Folder, recordName);
        if (taken)
        {
            notes.Add($"{RecordName} appeared in {Folder} during this run (another run?); it is kept, and this run's record is {recordName}");
        }
        return notes;
    }

    /// <summary>Makes <paramref name="folder"/> and checks a file can be written there, before any work starts.</summary>
    /// <exception cref="UsageException">It cannot: the message names the option, the folder and the cause.</exception>
    public static void EnsureWritableFolder(string folder, string option, string what)
    {
        try
        {
            Directory.CreateDirectory(folder);
            string probe = System.IO.Path.Combine(folder, $".recloss-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"{option}: cannot write {what} ({e.Message.TrimEnd('.')}); nothing was trained");
        }
    }

    /// <summary>Renames <paramref name="from"/>; false when <paramref name="to"/> exists and may not be replaced.</summary>
    private static bool TryMove(string from, string to, bool overwrite)
    {
        try
        {
            File.Move(from, to, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(to))
        {
            return false;
        }
    }

    /// <summary>Writes a per-process temporary file beside <paramref name="path"/> and returns its name.</summary>
    private static string WriteTemp(string path, Action<Stream> write)
    {
        string temp = $"{path}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        try
        {
            using var stream = File.Create(temp);
            write(stream);
            return temp;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Delete(temp);
            throw new OutputException($"could not write {path} ({e.Message.TrimEnd('.')}); the results are printed above and any previous {Path.GetFileName(path)} is unchanged");
        }
    }

    private static void Delete(string? path)
    {
        try
        {
            if (path is not null)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is harmless; the message about the write matters more.
        }
    }

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
