using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>--checkpoint DIR, --resume DIR and --checkpoint-every N: read and the folder probed before any data loads.</summary>
internal sealed class CheckpointArguments
{
    private CheckpointArguments(string folder, int every, bool mustExist)
    {
        Folder = folder;
        Every = every;
        MustExist = mustExist;
    }

    public string Folder { get; }

    public int Every { get; }

    /// <summary>--resume: the folder must already hold a checkpoint.</summary>
    public bool MustExist { get; }

    public static CheckpointArguments? Read(ArgumentReader args)
    {
        string? checkpoint = args.String("checkpoint"), resume = args.String("resume");
        bool everyGiven = args.Has("checkpoint-every");
        int every = args.Int("checkpoint-every", 1, 1);
        if (checkpoint is not null && resume is not null)
        {
            throw new UsageException("give --checkpoint DIR or --resume DIR, not both (--checkpoint already resumes a run it finds in DIR)");
        }
        string? folder = checkpoint ?? resume;
        if (folder is null)
        {
            return everyGiven ? throw new UsageException("--checkpoint-every needs --checkpoint DIR or --resume DIR") : null;
        }
        if (args.Has("init"))
        {
            throw new UsageException("--init starts a new run from a model; --checkpoint and --resume continue a run: give one of them");
        }
        string option = checkpoint is not null ? "--checkpoint" : "--resume";
        if (File.Exists(folder))
        {
            throw new UsageException($"{option}: '{folder}' is a file (expected a folder for {CheckpointFolder.FileName})");
        }
        if (resume is not null && !File.Exists(Path.Combine(resume, CheckpointFolder.FileName)))
        {
            throw new UsageException($"--resume: '{resume}' holds no {CheckpointFolder.FileName} (start the run with --checkpoint {resume})");
        }
        RunOutput.EnsureWritableFolder(folder, option, $"to '{folder}'");
        return new CheckpointArguments(folder, every, resume is not null);
    }

    /// <summary>The folder for this run and, when it holds this run's checkpoint, where to start; a checkpoint of other
    /// data or settings is refused naming the difference.</summary>
    public (CheckpointFolder Sink, TrainingStart? Start) Open(Dataset data, IRowLoss loss, SessionOptions options, TextWriter notes)
    {
        var config = SessionArguments.ConfigJson(loss, options);
        var folder = new CheckpointFolder(Folder, Every, data, loss, options, config);
        if (!folder.HasCheckpoint)
        {
            folder.StartFresh();
            return (folder, null);
        }
        try
        {
            TrainingStart start = folder.Load();
            notes.WriteLine(start.StoppedEarly || start.EpochsDone >= options.Trainer.Epochs
                ? $"note: {folder.CheckpointPath} holds this run, finished after epoch {start.EpochsDone}: reporting it"
                : $"note: resuming from {folder.CheckpointPath} after epoch {start.EpochsDone}");
            return (folder, start);
        }
        catch (ModelFileException e)
        {
            throw ModelArguments.AsDataError(folder.CheckpointPath, e);
        }
    }
}
