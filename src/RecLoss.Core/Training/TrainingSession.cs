using System.Diagnostics;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;

namespace RecLoss.Core.Training;

/// <summary>Runs epochs of some trainer.</summary>
public interface IEpochRunner
{
    int Rows { get; }

    int BatchesPerEpoch { get; }

    /// <summary>Cumulative seconds per phase of a step, named by <see cref="PhaseNames"/>.</summary>
    double[] PhaseSeconds { get; }

    IReadOnlyList<string> PhaseNames { get; }

    TrainerCounters Counters { get; }

    /// <summary>Runs epoch <paramref name="epoch"/> (1-based); returns the mean row loss.</summary>
    double RunEpoch(int epoch, ITrainingObserver? observer, CancellationToken cancellation);
}

/// <summary>One epoch's record: loss, seconds, and metrics when it was evaluated.</summary>
/// <param name="LearningRate">The rate the epoch trained with, recorded when a plateau schedule may change it.</param>
public sealed record EpochRecord(int Epoch, double Loss, double TrainSeconds, EvaluationResult? Validation, EvaluationResult? Test,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] double? LearningRate = null);

/// <summary>A chosen epoch and how it was chosen.</summary>
/// <param name="Selection">"last", "best-validation" or "best-test (test-selected: optimistic)".</param>
public sealed record SelectedEpoch(string Selection, EpochRecord Record);

/// <summary>Which metric at the selection K chooses the best epoch.</summary>
public enum SelectionMetric
{
    Recall,

    /// <summary>NDCG, as some reference configs monitor (the SimpleX reference's Gowalla run).</summary>
    Ndcg,
}

/// <summary>Which split chooses the epoch that early stopping keeps.</summary>
public enum SelectionSplit
{
    /// <summary>The validation split carved from train (honest).</summary>
    Validation,

    /// <summary>The test split, as the papers' reference code does; every result chosen so is labelled test-selected.</summary>
    Test,
}

/// <summary>Everything a run produced.</summary>
/// <param name="PhaseSeconds">Training seconds per step phase, summed over all epochs.</param>
/// <param name="Restored">With early stopping: the epoch whose embeddings <paramref name="Encoder"/> holds.</param>
/// <param name="StoppedEarly">Whether patience ran out before the last epoch.</param>
public sealed record TrainingResult(IReadOnlyList<EpochRecord> Epochs, SelectedEpoch Last, SelectedEpoch? BestValidation, SelectedEpoch? BestTest,
    IEncoder Encoder, IReadOnlyList<(string Phase, double Seconds)> PhaseSeconds, SelectedEpoch? Restored = null, bool StoppedEarly = false,
    OptimizerState? OptimizerState = null)
{
    public IEnumerable<SelectedEpoch> Selections()
    {
        yield return Last;
        if (BestValidation is not null)
        {
            yield return BestValidation;
        }
        if (BestTest is not null)
        {
            yield return BestTest;
        }
    }
}

/// <summary>Which Adam.</summary>
public enum OptimizerKind
{
    /// <summary>Dense Adam, every row every step (the reference), computed by deferred replay.</summary>
    Adam,

    /// <summary>Sparse Adam: only rows with a data gradient step (faster; different results).</summary>
    SparseAdam,
}

/// <summary>Options of a whole run: encoder, optimizer, trainer and evaluation.</summary>
public sealed record SessionOptions
{
    /// <summary>Dimension, initialisation std and score, shared by every encoder.</summary>
    public MatrixFactorizationOptions Encoder { get; init; } = new();

    /// <summary>Which encoder: MF (default), SimpleX or LightGCN.</summary>
    public EncoderKind Kind { get; init; } = EncoderKind.MatrixFactorization;

    /// <summary>SimpleX's own options (its Dim, InitStd and Score come from <see cref="Encoder"/>).</summary>
    public SimpleXOptions SimpleX { get; init; } = new();

    /// <summary>LightGCN's own options (its Dim, InitStd and Score come from <see cref="Encoder"/>).</summary>
    public LightGcnOptions LightGcn { get; init; } = new();

    /// <summary>Whole tables at every step (MF and SimpleX references) or the batch's rows (LightGCN's).</summary>
    public L2Placement L2Placement { get; init; } = L2Placement.Tables;

    /// <summary>Every interaction once per epoch, or user-uniform draws (LightGCN's reference).</summary>
    public EpochRows EpochRows { get; init; } = EpochRows.Interactions;

    /// <summary>MF's trainer with the plain dense Adam loop instead of the deferred replay (tests compare the two).</summary>
    internal bool DenseLoopOracle { get; init; }

    public AdamOptions Adam { get; init; } = new();
    public TrainerOptions Trainer { get; init; } = new();
    public EvaluatorOptions Evaluation { get; init; } = new();

    /// <summary>Dense Adam as the reference (default), or sparse Adam, which is faster but not the reference's optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>K whose Recall selects the best epoch (must be one of the evaluation Ks).</summary>
    public int SelectionK { get; init; } = 20;

    /// <summary>The metric at <see cref="SelectionK"/> that selects the best epoch: Recall (default) or NDCG.</summary>
    public SelectionMetric SelectionMetric { get; init; } = SelectionMetric.Recall;

    /// <summary>How negatives are drawn (uniform by default, as the reference).</summary>
    public SamplerOptions Sampler { get; init; } = new();

    /// <summary>Early stopping: stop after this many evaluations without a better <see cref="SelectionMetric"/> at K on
    /// <see cref="SelectOn"/>, then restore the best epoch's embeddings; 0 trains every epoch and keeps the last (the
    /// best, with a <see cref="Plateau"/> schedule).</summary>
    public int Patience { get; init; }

    /// <summary>The split early stopping and the plateau schedule watch: validation (default) or, as the reference code, test.</summary>
    public SelectionSplit SelectOn { get; init; } = SelectionSplit.Validation;

    /// <summary>Learning rate on plateau (null: a constant rate).</summary>
    public PlateauOptions? Plateau { get; init; }
}

/// <summary>Trains an MF encoder with a loss, evaluates every N epochs and keeps the record of every epoch.</summary>
/// <remarks>
/// The validation split (when present) is evaluated with train masked; the test split with train and validation
/// masked. Three results are reported: the last epoch; the best epoch by validation Recall@K (or NDCG@K); and the best
/// epoch by test Recall@K, which is what the reference code reports and is labelled as test-selected.
/// </remarks>
public sealed class TrainingSession
{
    private readonly SessionOptions _options;

    public TrainingSession(SessionOptions options)
    {
        options.Trainer.Validate();
        options.Adam.Validate();
        if (options.Patience < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Patience, "Patience must be >= 0 (0: no early stopping).");
        }
        if (!options.Evaluation.Ks.Contains(options.SelectionK))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SelectionK, $"The selection K must be one of the evaluation Ks ({string.Join(",", options.Evaluation.Ks)}).");
        }
        EncoderFactory.CheckL2Placement(options);
        options.Plateau?.Validate();
        _options = options;
    }

    /// <summary>The parts of a run, built from the options: encoder, optimizer, trainer, and the runner they share.</summary>
    public sealed record Parts(MatrixFactorization Encoder, AdamOptimizer Optimizer, IEpochRunner Trainer, ParallelRunner Runner);

    public static Parts Build(Dataset data, IRowLoss loss, SessionOptions options)
    {
        EncoderFactory.CheckScore(loss, options);
        var runner = new ParallelRunner(options.Trainer.Threads);
        var encoder = new MatrixFactorization(data.UserCount, data.ItemCount, options.Encoder, options.Trainer.Seed);
        // L2 on the batch's rows is the trainer's; the optimizer then regularises nothing itself.
        float batchL2 = options.L2Placement == L2Placement.Batch ? (float)options.Adam.L2 : 0f;
        AdamOptions adam = options.L2Placement == L2Placement.Batch ? options.Adam with { L2 = 0 } : options.Adam;
        AdamOptimizer optimizer = options.Optimizer == OptimizerKind.SparseAdam
            ? new SparseAdamOptimizer(adam, [encoder.Users, encoder.Items], runner)
            : options.DenseLoopOracle
                ? new DenseAdamOptimizer(adam, [encoder.Users, encoder.Items], runner)
                : new ReplayAdamOptimizer(adam, [encoder.Users, encoder.Items], runner);
        optimizer.TableNames = [.. encoder.Parameters.Select(p => p.Name)];   // the generic trainer's names, so states move between them
        NegativeSampling sampling = options.Sampler.Create(data.Train, options.Trainer.ExcludePositives, options.Trainer.Negatives);
        IEpochRunner trainer = loss.Accept(new TrainerBuilder(options.Trainer, encoder, optimizer, sampling, data.Train, runner, batchL2));
        return new Parts(encoder, optimizer, trainer, runner);
    }

    /// <param name="start">Parameters (and optimizer state) to continue from, instead of a fresh initialisation.</param>
    /// <param name="checkpoints">Receives the run's state every few epochs and at its end, so a stopped run can resume.</param>
    public TrainingResult Run(Dataset data, IRowLoss loss, ITrainingObserver? observer = null, CancellationToken cancellation = default, TrainingStart? start = null,
        ICheckpointSink? checkpoints = null)
    {
        RunParts parts = EncoderFactory.BuildRun(data, loss, _options);
        (IEncoder encoder, IEpochRunner trainer, Action catchUpAll, ParallelRunner runner) = (parts.Encoder, parts.Trainer, parts.CatchUpAll, parts.Runner);
        int firstEpoch = 1;
        if (start is not null)
        {
            try
            {
                start.ApplyTo(encoder);
                if (start.Optimizer is { } state)
                {
                    parts.ImportOptimizer(state);
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new InvalidDataException($"the saved parameters or optimizer state do not fit this run: {e.Message}");
            }
            firstEpoch = start.EpochsDone + 1;
        }
        int lastEpoch = start is { Resume: true } ? _options.Trainer.Epochs : firstEpoch + _options.Trainer.Epochs - 1;
        var evaluator = new Evaluator(_options.Evaluation, runner);
        InteractionMatrix testMask = data.Validation is null ? data.Train : data.Train.Union(data.Validation);

        var records = new List<EpochRecord>(start?.History ?? []);
        var watch = new EpochWatch(_options, data, start, records);
        parts.SetLearningRate(watch.Rate);

        for (int epoch = firstEpoch; epoch <= lastEpoch && start is not { StoppedEarly: true }; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double meanLoss = trainer.RunEpoch(epoch, observer, cancellation);
            double seconds = clock.Elapsed.TotalSeconds;
            EvaluationResult? validation = null, test = null;
            if (epoch % _options.Trainer.EvaluateEvery == 0 || epoch == lastEpoch)
            {
                catchUpAll();
                FactorModel model = encoder.Export(runner);
                if (data.Validation is not null)
                {
                    validation = evaluator.Evaluate(model, data.Train, data.Validation);
                }
                if (data.Test is not null)
                {
                    test = evaluator.Evaluate(model, testMask, data.Test);
                }
            }
            var record = new EpochRecord(epoch, meanLoss, seconds, validation, test, watch.RecordedRate);
            records.Add(record);
            observer?.OnEpoch(record);

            // Caught up by the evaluation above, so the tables the watch keeps are this epoch's parameters.
            if (watch.Observe(record, encoder, epoch == lastEpoch) == EpochWatch.Verdict.Plateau)
            {
                parts.SetLearningRate(watch.Rate);
                Reload(parts, watch.BestParameters!, epoch);
            }
            bool stop = watch.StoppedEarly || epoch == lastEpoch;
            if (checkpoints is not null && (epoch % checkpoints.Every == 0 || stop))
            {
                catchUpAll();
                checkpoints.Save(new RunCheckpoint(epoch, records, watch.Best?.Epoch, watch.SinceBest, watch.StoppedEarly, stop, encoder,
                    parts.ExportOptimizer(epoch), watch.BestParameters) { LearningRate = watch.RecordedRate });
            }
            if (watch.StoppedEarly)
            {
                break;
            }
        }
        catchUpAll();
        SelectedEpoch? restored = null;
        if (watch.Best is { } best)
        {
            for (int p = 0; p < encoder.Parameters.Count; p++)
            {
                watch.BestParameters![p].CopyTo(encoder.Parameters[p].Values.AsSpan());
            }
            restored = new SelectedEpoch(watch.BestLabel, best);
        }

        var last = new SelectedEpoch("last", records[^1]);
        SelectedEpoch? bestValidation = records.Where(r => r.Validation is not null)
            .MaxBy(r => watch.Score(r.Validation!)) is { } v ? new SelectedEpoch("best-validation", v) : null;
        SelectedEpoch? bestTest = records.Where(r => r.Test is not null)
            .MaxBy(r => watch.Score(r.Test!)) is { } t ? new SelectedEpoch(EpochWatch.BestTestLabel, t) : null;

        var phases = trainer.PhaseNames.Select((name, i) => (name, trainer.PhaseSeconds[i])).ToArray();
        // The optimizer's state belongs to the last epoch's parameters: none when the best epoch was restored.
        OptimizerState? optimizer = restored is null ? parts.ExportOptimizer(records[^1].Epoch) : null;
        return new TrainingResult(records, last, bestValidation, bestTest, encoder, phases, restored, watch.StoppedEarly, optimizer);
    }

    /// <summary>Puts the best epoch's parameters back mid-run as a resume from them would: every row caught up, then
    /// the optimizer's state carried across (so a deferred optimizer restarts its bookkeeping from these tables).</summary>
    private static void Reload(RunParts parts, float[][] best, int epoch)
    {
        parts.CatchUpAll();
        OptimizerState state = parts.ExportOptimizer(epoch);
        for (int p = 0; p < parts.Encoder.Parameters.Count; p++)
        {
            best[p].CopyTo(parts.Encoder.Parameters[p].Values.AsSpan());
        }
        parts.ImportOptimizer(state);
    }

    private sealed class TrainerBuilder(TrainerOptions options, MatrixFactorization encoder, AdamOptimizer optimizer,
        NegativeSampling sampling, InteractionMatrix train, ParallelRunner runner, float batchL2) : IRowLossVisitor<IEpochRunner>
    {
        public IEpochRunner Visit<TLoss>(TLoss loss)
            where TLoss : struct, IRowLoss => new MatrixFactorizationTrainer<TLoss>(loss, options, encoder, optimizer, sampling, train, runner, batchL2);
    }
}

/// <summary>Where a run starts instead of a fresh initialisation: a saved model's parameter blocks and, for an exact
/// continuation, its optimizer state; the run's epochs are numbered on from <see cref="EpochsDone"/>.</summary>
public sealed record TrainingStart(IReadOnlyList<SavedBlock> Parameters, OptimizerState? Optimizer, int EpochsDone)
{
    /// <summary>A checkpoint of this very run: it goes on to the configured epoch count (not that many more), with
    /// the history and early-stopping state below.</summary>
    public bool Resume { get; init; }

    public IReadOnlyList<EpochRecord> History { get; init; } = [];

    public int? BestEpoch { get; init; }

    public IReadOnlyList<SavedBlock>? BestParameters { get; init; }

    public int SinceBest { get; init; }

    public bool StoppedEarly { get; init; }

    /// <summary>The rate a plateau schedule had reached (null: the options' rate).</summary>
    public double? LearningRate { get; init; }

    /// <summary>The run had ended (its last epoch or early stopping): nothing is left to train.</summary>
    public bool Finished { get; init; }

    /// <summary>Copies the saved blocks into the encoder's, by name; a missing block or another shape is refused.</summary>
    /// <exception cref="ArgumentException">The saved parameters do not fit the encoder.</exception>
    public void ApplyTo(IEncoder encoder)
    {
        foreach (ParameterBlock block in encoder.Parameters)
        {
            SavedBlock saved = Parameters.FirstOrDefault(p => p.Name == block.Name)
                ?? throw new ArgumentException($"the saved model has no '{block.Name}' block (it has {string.Join(", ", Parameters.Select(p => p.Name))})");
            if (saved.Rows != block.Rows || saved.Cols != block.Cols)
            {
                throw new ArgumentException($"block '{block.Name}' is {saved.Rows} x {saved.Cols} in the saved model, {block.Rows} x {block.Cols} here");
            }
            saved.Values.CopyTo(block.Values.AsSpan());
        }
        if (BestParameters is { } best && (best.Count != encoder.Parameters.Count
            || best.Zip(encoder.Parameters).Any(p => p.First.Name != p.Second.Name || p.First.Values.Length != p.Second.Values.Length)))
        {
            throw new ArgumentException($"the best epoch's saved blocks ({string.Join(", ", best.Select(b => $"{b.Name} {b.Rows} x {b.Cols}"))}) do not match the encoder's");
        }
    }
}
