using System.Text.Json;
using System.Text.Json.Nodes;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;

namespace RecLoss.Core.Training;

/// <summary>A run at the end of an epoch: everything <see cref="TrainingSession.Run"/> needs to go on as if never stopped.</summary>
/// <param name="BestParameters">The best epoch's blocks (early stopping), in the encoder's block order.</param>
/// <param name="Finished">The run ended here (its last epoch, or early stopping).</param>
public sealed record RunCheckpoint(int Epoch, IReadOnlyList<EpochRecord> History, int? BestEpoch, int SinceBest, bool StoppedEarly, bool Finished,
    IEncoder Encoder, OptimizerState Optimizer, float[][]? BestParameters)
{
    /// <summary>The rate of the steps to come, when a plateau schedule may have changed it.</summary>
    public double? LearningRate { get; init; }
}

/// <summary>Receives the run's checkpoints; <see cref="Every"/> epochs apart, and at the run's end.</summary>
public interface ICheckpointSink
{
    int Every { get; }

    void Save(RunCheckpoint checkpoint);
}

/// <summary>One process's share of a run: the first epoch it trained, the binary that trained it and on how many
/// threads (null: unknown, the checkpoint predates the field), so that its epochs' seconds can be read rightly.</summary>
public sealed record RunSegment(int FirstEpoch, string? Commit, bool Dirty, string? StartedUtc, int? Threads = null)
{
    /// <summary>This process, training from <paramref name="firstEpoch"/> on <paramref name="threads"/> threads.</summary>
    public static RunSegment Now(int firstEpoch, int threads) =>
        new(firstEpoch, BuildInfo.Commit, BuildInfo.Dirty, DateTime.UtcNow.ToString("O"), threads);
}

/// <summary>
/// A run's checkpoint folder: <c>checkpoint.rlm</c>, a model file (usable by recommend and serve) whose header also
/// holds the run's state (epoch, evaluation history, early-stopping counters) and whose OPTM section holds the
/// optimizer; with early stopping, <c>best-E.rlm</c> holds the best epoch's parameters. Each file is written to a
/// temporary name and renamed, the new best before the checkpoint that names it, and an old best is deleted only
/// after; so a kill at any moment leaves the previous complete checkpoint, or the new one.
/// </summary>
public sealed class CheckpointFolder : ICheckpointSink
{
    public const string FileName = "checkpoint.rlm";

    private readonly Dataset _data;
    private readonly IRowLoss _loss;
    private readonly SessionOptions _options;
    private readonly JsonObject _config;
    private readonly int _threads;

    /// <param name="config">The run's configuration as run.json records it; a resume must match it (epochs and threads aside).</param>
    public CheckpointFolder(string folder, int every, Dataset data, IRowLoss loss, SessionOptions options, JsonObject config)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        Folder = Path.GetFullPath(folder);
        Every = every;
        (_data, _loss, _options, _config) = (data, loss, options, config);
        _threads = Optim.ParallelRunner.ThreadsFor(options.Trainer.Threads);
        Segments = [RunSegment.Now(1, _threads)];
        Directory.CreateDirectory(Folder);
    }

    /// <summary>Which binary trained which epochs: this process from epoch 1, or after <see cref="Load"/> the
    /// checkpoint's segments and then this process from the epoch after it (none when the run had finished).</summary>
    public IReadOnlyList<RunSegment> Segments { get; private set; }

    public string Folder { get; }

    public int Every { get; }

    public string CheckpointPath => Path.Combine(Folder, FileName);

    public bool HasCheckpoint => File.Exists(CheckpointPath);

    /// <summary>Settings that may differ between a run and its resume: they do not change what is computed. The epoch
    /// count is not among them: the last epoch is always evaluated and ends the patience count, so a longer run is
    /// another run. The thread count (asked, and as resolved on this machine) changes only the speed.</summary>
    private static readonly string[] s_free = ["threadsAsked", "threads"];

    /// <summary>Removes what an earlier run left (its best-epoch files) before a run starts afresh in this folder.</summary>
    public void StartFresh()
    {
        foreach (string old in Directory.GetFiles(Folder, "best-*.rlm"))
        {
            File.Delete(old);
        }
    }

    public void Save(RunCheckpoint c)
    {
        string? bestName = c.BestEpoch is { } bestEpoch ? $"best-{bestEpoch}.rlm" : null;
        // A new best is written now (also over a file of that name left by an earlier run); an older one stays.
        if (c.BestEpoch is { } epoch && c.BestParameters is not null && (epoch == c.Epoch || !File.Exists(Path.Combine(Folder, bestName!))))
        {
            var blocks = c.Encoder.Parameters.Select((p, i) => new SavedBlock(p.Name, p.Rows, p.Cols, c.BestParameters[i])).ToArray();
            ModelFile.Save(Model(c.Encoder, blocks, epoch, null), Path.Combine(Folder, bestName!));
        }
        var current = c.Encoder.Parameters.Select(p => new SavedBlock(p.Name, p.Rows, p.Cols, p.Values.ToArray())).ToArray();
        ModelFile.Save(Model(c.Encoder, current, c.Epoch, State(c)), CheckpointPath, c.Optimizer);
        foreach (string old in Directory.GetFiles(Folder, "best-*.rlm").Where(f => Path.GetFileName(f) != bestName))
        {
            File.Delete(old);
        }
    }

    private TrainedModel Model(IEncoder encoder, SavedBlock[] blocks, int epoch, JsonObject? state)
    {
        ModelHeader header = ModelHeader.For(_data, _loss, _options, epoch, state is null ? "best (checkpointed for early stopping)" : "checkpoint",
            (JsonObject)_config.DeepClone()) with { RunState = state };
        // The scoring vectors are exported only for the checkpoint itself (a model the CLI can query); a best file
        // keeps the blocks, which is all a resume reads from it.
        FactorModel factors = state is null ? EmptyFactors(encoder) : encoder.Export(new Optim.ParallelRunner(1));
        return new TrainedModel(header, IdIndex.Of(_data.Users), IdIndex.Of(_data.Items), _data.Train, factors, blocks);
    }

    private static FactorModel EmptyFactors(IEncoder e) => new(e.UserCount, e.ItemCount, e.Dim, new float[(long)e.UserCount * e.Dim], new float[(long)e.ItemCount * e.Dim]);

    private JsonObject State(RunCheckpoint c) => new()
    {
        ["epoch"] = c.Epoch,
        ["history"] = JsonSerializer.SerializeToNode(c.History, ModelFile.Json),
        ["bestEpoch"] = c.BestEpoch,
        ["sinceBest"] = c.SinceBest,
        ["stoppedEarly"] = c.StoppedEarly,
        ["finished"] = c.Finished,
        ["learningRate"] = c.LearningRate,
        ["segments"] = JsonSerializer.SerializeToNode(Segments, ModelFile.Json),
    };

    /// <summary>The checkpoint as a start for <see cref="TrainingSession.Run"/>, after checking it belongs to this run.</summary>
    /// <exception cref="ModelFileException">The checkpoint is damaged, or from another data set or configuration; the message names the difference.</exception>
    public TrainingStart Load()
    {
        (TrainedModel model, OptimizerState? optimizer) = ModelFile.LoadWithOptimizer(CheckpointPath);
        ModelHeader h = model.Header;
        if (h.RunState is not { } state || optimizer is null)
        {
            throw new ModelFileException(CheckpointPath, "HEAD", "a model file, not a checkpoint (no run state or optimizer state)");
        }
        if (h.DataFingerprint != _data.Fingerprint())
        {
            throw new ModelFileException(CheckpointPath, "HEAD", $"a checkpoint of other data ({h.DataName}, fingerprint {h.DataFingerprint}; this run's data is {_data.Name}, {_data.Fingerprint()})");
        }
        string[] differ = [.. ModelHeader.ConfigDifferences(_config, h.Config).Where(key => !s_free.Contains(key))
            .Select(key => $"{key}: checkpoint {h.Config[key]?.ToJsonString() ?? "absent"}, this run {_config[key]?.ToJsonString() ?? "absent"}")];
        if (differ.Length > 0)
        {
            throw new ModelFileException(CheckpointPath, "HEAD", $"a checkpoint of another configuration ({string.Join("; ", differ)})");
        }
        try
        {
            var history = state["history"].Deserialize<List<EpochRecord>>(ModelFile.Json) ?? [];
            int? bestEpoch = state["bestEpoch"] is null ? null : Int(state, "bestEpoch");
            IReadOnlyList<SavedBlock>? best = null;
            if (bestEpoch is { } b)
            {
                TrainedModel bestModel = ModelFile.Load(Path.Combine(Folder, $"best-{b}.rlm"));
                if (bestModel.Header.Epoch != b || bestModel.Header.DataFingerprint != h.DataFingerprint)
                {
                    throw new FormatException($"best-{b}.rlm holds epoch {bestModel.Header.Epoch} of data {bestModel.Header.DataFingerprint}, not this run's epoch {b}");
                }
                best = bestModel.Blocks;
            }
            // A checkpoint written before segments were recorded: its epochs' binary is unknown.
            List<RunSegment> segments = state["segments"] is JsonArray stored
                ? stored.Deserialize<List<RunSegment>>(ModelFile.Json) ?? [] : [new RunSegment(1, null, false, null)];
            if (!Bool(state, "finished"))
            {
                segments.Add(RunSegment.Now(Int(state, "epoch") + 1, _threads));
            }
            Segments = segments;
            return new TrainingStart(model.Blocks, optimizer, Int(state, "epoch"))
            {
                Resume = true,
                History = history,
                BestEpoch = bestEpoch,
                BestParameters = best,
                SinceBest = Int(state, "sinceBest"),
                StoppedEarly = Bool(state, "stoppedEarly"),
                LearningRate = state["learningRate"] is null ? null : Double(state, "learningRate"),
                Finished = Bool(state, "finished"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelFileException(CheckpointPath, "HEAD", $"the run state cannot be read: {e.Message}");
        }
    }

    private static int Int(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue(out int i) ? i : throw new FormatException($"run state field '{key}' is missing or not an integer");

    private static double Double(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) && d >= 0 ? d : throw new FormatException($"run state field '{key}' is not a number >= 0");

    private static bool Bool(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue(out bool b) ? b : throw new FormatException($"run state field '{key}' is missing or not true/false");
}
