using System.Text.Json.Nodes;
using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

public sealed class CheckpointResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class Stopped : Exception;

    /// <summary>Passes checkpoints on, then stops the run (as a kill would) after the given number.</summary>
    private sealed class StopAfter(ICheckpointSink inner, int saves) : ICheckpointSink
    {
        private int _saved;

        public int Every => inner.Every;

        public void Save(RunCheckpoint checkpoint)
        {
            inner.Save(checkpoint);
            if (++_saved == saves)
            {
                throw new Stopped();
            }
        }
    }

    private static Dataset Data() => Splitter.CarveValidation(
        SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 15, Seed = 21 }), 0.2, 4);

    private static SessionOptions Options(int patience, int threads = 2, double plateau = 0) => new()
    {
        Plateau = plateau > 0 ? new PlateauOptions { Factor = plateau } : null,
        Adam = new AdamOptions { LearningRate = 3e-2 },     // the validation curve turns within a few epochs
        Trainer = new TrainerOptions { Epochs = 12, BatchSize = 64, Negatives = 10, Threads = threads, Seed = 9 },
        Encoder = new() { Dim = 16 },
        Patience = patience,
    };

    [Theory]
    [InlineData(0, 3, 2, 0)]
    [InlineData(1, 2, 2, 0)]     // early stopping: the best epoch's parameters come back from best-E.rlm
    [InlineData(2, 4, 1, 0)]     // resumed on another thread count: results do not depend on it, so it is allowed
    [InlineData(0, 0, 2, 0.5)]   // learning rate on plateau (stopped the epoch after the first cut): the cut rate and the reloaded best go on
    [InlineData(3, 0, 1, 0.5)]
    public void Stopped_after_any_checkpoint_and_resumed_the_run_ends_as_an_uninterrupted_one(int patience, int stopAfter, int resumeThreads, double plateau)
    {
        Dataset data = Data();
        IRowLoss loss = MultiMarginLoss.Yelp2018;
        JsonObject Config(int threads) => new() { ["patience"] = patience, ["threadsAsked"] = threads, ["threads"] = threads };
        TrainingResult whole = new TrainingSession(Options(patience, 2, plateau)).Run(data, loss, checkpoints: new CheckpointFolder(Path.Combine(_folder, "whole"), 1, data, loss, Options(patience, 2, plateau), Config(2)));

        if (plateau > 0)
        {
            // Stopped the epoch after the first cut, so the resume must carry the cut rate and the reloaded parameters.
            stopAfter = whole.Epochs.First(e => e.LearningRate < whole.Epochs[0].LearningRate).Epoch;
        }
        string folder = Path.Combine(_folder, "stopped");
        var sink = new CheckpointFolder(folder, 1, data, loss, Options(patience, 2, plateau), Config(2));
        Assert.Throws<Stopped>(() => new TrainingSession(Options(patience, 2, plateau)).Run(data, loss, checkpoints: new StopAfter(sink, stopAfter)));
        var again = new CheckpointFolder(folder, 1, data, loss, Options(patience, resumeThreads, plateau), Config(resumeThreads));
        TrainingStart start = again.Load();
        Assert.Equal(stopAfter, start.EpochsDone);
        TrainingResult resumed = new TrainingSession(Options(patience, resumeThreads, plateau)).Run(data, loss, start: start, checkpoints: again);

        Assert.Equal(whole.Epochs.Select(e => (e.Epoch, e.Loss, e.LearningRate, e.Validation!.Metrics.Last())), resumed.Epochs.Select(e => (e.Epoch, e.Loss, e.LearningRate, e.Validation!.Metrics.Last())));
        Assert.Equal(whole.StoppedEarly, resumed.StoppedEarly);
        Assert.Equal(whole.Restored?.Record.Epoch, resumed.Restored?.Record.Epoch);
        for (int b = 0; b < whole.Encoder.Parameters.Count; b++)
        {
            Assert.Equal(whole.Encoder.Parameters[b].Values, resumed.Encoder.Parameters[b].Values);
        }
        if (patience == 1)
        {
            Assert.True(whole.StoppedEarly);
        }
    }

    [Fact]
    public void Each_resume_adds_a_segment_naming_its_first_epoch_and_threads_and_a_finished_run_adds_none()
    {
        Dataset data = Data();
        IRowLoss loss = MultiMarginLoss.Yelp2018;
        JsonObject config = new() { ["patience"] = 0 };
        string folder = Path.Combine(_folder, "segments");
        // Each process opens the folder anew, on its own thread count.
        CheckpointFolder Process(int threads) => new(folder, 1, data, loss, Options(0, threads), config);

        CheckpointFolder first = Process(2);
        Assert.Throws<Stopped>(() => new TrainingSession(Options(0)).Run(data, loss, checkpoints: new StopAfter(first, 2)));
        CheckpointFolder second = Process(1);
        TrainingStart start = second.Load();
        Assert.Throws<Stopped>(() => new TrainingSession(Options(0, 1)).Run(data, loss, start: start, checkpoints: new StopAfter(second, 3)));
        CheckpointFolder third = Process(3);
        new TrainingSession(Options(0, 3)).Run(data, loss, start: third.Load(), checkpoints: third);
        Assert.Equal([1, 3, 6], third.Segments.Select(s => s.FirstEpoch));
        Assert.Equal([2, 1, 3], third.Segments.Select(s => s.Threads));
        Assert.All(third.Segments, s => Assert.Equal(BuildInfo.Commit, s.Commit));

        CheckpointFolder fourth = Process(1);
        Assert.True(fourth.Load().Finished);
        Assert.Equal([1, 3, 6], fourth.Segments.Select(s => s.FirstEpoch));
        Assert.Equal([2, 1, 3], fourth.Segments.Select(s => s.Threads));
    }
}
