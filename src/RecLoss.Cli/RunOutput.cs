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

    private RunOutput(string folder) => Folder = folder;

    public string Folder { get; }

    public string RecordPath => Path.Combine(Folder, RecordName);

    /// <summary>Reads --out and --force; null without --out.</summary>
    public static RunOutput? Prepare(ArgumentReader args)
    {
        string? folder = args.String("out");
        bool force = args.Flag("force");
        if (folder is null)
        {
            return force ? throw new UsageException("--force replaces an existing run record, so it needs --out DIR") : null;
        }
        if (folder.Trim().Length == 0)
        {
            throw new UsageException("--out: the folder name is empty (expected a folder path)");
        }
        if (File.Exists(folder))
        {
            throw new UsageException($"--out: '{folder}' is a file (expected a folder to hold {RecordName})");
        }
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".recloss-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out: cannot write to '{folder}' ({e.Message.TrimEnd('.')}); nothing was trained");
        }
        var output = new RunOutput(Path.GetFullPath(folder));
        if (File.Exists(output.RecordPath) && !force)
        {
            throw new UsageException($"--out: '{output.RecordPath}' exists; add --force to replace it, or choose another --out (nothing was trained)");
        }
        return output;
    }

    /// <summary>Writes run.json (and the injected noise pairs beside it), each through a temporary file.</summary>
    /// <exception cref="OutputException">A file could not be written; the previous one is left as it was.</exception>
    public void Write(Dataset data, string dataPath, IRowLoss loss, IReadOnlyDictionary<string, object?> config, TrainingResult result,
        IReadOnlyList<(string Name, EvaluationResult Result)> baselines, InjectedPositives? noise, IReadOnlyList<string> commandLine)
    {
        string? noiseFile = null;
        if (noise is not null)
        {
            noiseFile = NoiseName;
            Atomic(Path.Combine(Folder, NoiseName), stream =>
            {
                using var writer = new StreamWriter(stream);
                writer.WriteLine("user,item");
                foreach ((int user, int item) in noise.Pairs)
                {
                    writer.WriteLine($"{Csv(data.Users.GetId(user))},{Csv(data.Items.GetId(item))}");
                }
            });
        }
        var context = new RunContext(commandLine, dataPath, BuildInfo.Commit, BuildInfo.Dirty, noiseFile);
        Atomic(RecordPath, stream => RunRecordWriter.Write(stream, data, loss, config, result, context, baselines, noise));
    }

    private static void Atomic(string path, Action<Stream> write)
    {
        string temp = $"{path}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = File.Create(temp))
            {
                write(stream);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The temporary file stays; the message below is what matters.
            }
            throw new OutputException($"could not write {path} ({e.Message.TrimEnd('.')}); the results are printed above and any previous {Path.GetFileName(path)} is unchanged");
        }
    }

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
