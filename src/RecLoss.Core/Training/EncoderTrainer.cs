using System.Diagnostics;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training.Phases;

namespace RecLoss.Core.Training;

/// <summary>Which (user, positive) rows an epoch trains on.</summary>
public enum EpochRows
{
    /// <summary>Every train interaction once, shuffled (the MF and SimpleX references).</summary>
    Interactions,

    /// <summary>As many rows as interactions, each a uniformly drawn user with one of its positives (LightGCN's reference).</summary>
    UserUniform,
}

/// <summary>
/// Mini-batch training of any <see cref="IEncoder"/> with any row loss and dense Adam over its parameter blocks.
/// </summary>
/// <remarks>
/// A step is a sequence of phases, each a small type with its own buffers: <see cref="DrawPhase"/> (negatives and
/// dropout masks), encode (the encoder's step work and the rows' user vectors, after <see cref="RowSelection"/> has
/// caught up the rows the step reads), <see cref="RowPhase{TLoss}"/> (the row kernel), <see cref="ItemGradientPhase"/>
/// (dL/d(item vector) per item), backward (the encoder maps the gradients onto its blocks) and the optimizer step.
/// Every sum runs in a fixed order, so one seed gives the same parameters whatever the thread count. MF with
/// interaction epochs keeps its own faster trainer (<see cref="MatrixFactorizationTrainer{TLoss}"/>).
/// </remarks>
public sealed class EncoderTrainer<TLoss> : IEpochRunner, IHasBlockOptimizer
    where TLoss : struct, IRowLoss
{
    private static readonly string[] s_phases = ["draw", "encode", "rows", "items", "backward", "adam"];

    private readonly TrainerOptions _options;
    private readonly IEncoder _encoder;
    private readonly IBlockOptimizer _adam;
    private readonly RowSelection? _rows;      // encoders that read few rows: their idle rows are deferred
    private readonly L2Placement _l2;
    private readonly float _lambda;
    private readonly ParallelRunner _runner;
    private readonly EpochOrder _order;
    private readonly StepBatch _batch;
    private readonly DrawPhase _draw;
    private readonly RowPhase<TLoss> _rowPhase;
    private readonly ItemGradientPhase _items;
    private readonly HardSelectPhase? _hardSelect;
    private readonly ILayerL2Encoder? _layerL2;
    private readonly bool _l2OnPositives;       // in-batch negatives are the batch's positives: counted once
    private readonly InBatchDensePhase<TLoss>? _dense;   // in-batch-all: rows and items as dense products

    public EncoderTrainer(TLoss loss, TrainerOptions options, IEncoder encoder, AdamOptions adam, L2Placement l2, NegativeSampling sampling,
        InteractionMatrix train, ParallelRunner runner, EpochRows epochRows = EpochRows.Interactions, bool denseAdam = false)
    {
        options.Validate();
        if (loss.Pooling.Enabled)
        {
            throw new ArgumentException("Pooled positives are implemented in the MF trainer only.");
        }
        if (options.DropoutBeforeNormalisation)
        {
            throw new ArgumentException("Dropout before normalisation is implemented in the MF trainer only.");
        }
        _options = options;
        _encoder = encoder;
        if (l2 == L2Placement.BatchLayers)
        {
            _layerL2 = encoder as ILayerL2Encoder
                ?? throw new ArgumentException($"L2 on every layer needs an encoder with layers (lightgcn built with it); {encoder.Name} has none.", nameof(l2));
            _l2OnPositives = sampling.NegativesFromBatch;
        }
        _l2 = l2;
        _lambda = (float)adam.L2;
        _runner = runner;
        bool sparse = encoder.ReadsFewRows && !denseAdam;
        _adam = sparse ? new ReplayBlockAdam(adam, encoder.Parameters, l2 == L2Placement.Tables, runner) : new BlockAdam(adam, encoder.Parameters, l2, runner);
        _rows = sparse ? new RowSelection(encoder.Parameters, runner) : null;
        foreach (ParameterBlock block in encoder.Parameters)
        {
            _ = block.Gradient;   // allocated here, not in the first step
        }
        _order = new EpochOrder(train, epochRows, options.Seed);
        int capacity = Math.Min(options.BatchSize, Math.Max(train.Count, 1)), slots = 1 + options.Negatives;
        // Dense products cost b^2 dim whatever N: worth it when every other row is a negative (N = B - 1).
        bool dense = sampling.Drawn is InBatchAllSampler && sampling.HardCount == 0 && options.Negatives == options.BatchSize - 1
            && capacity <= InBatchDensePhase<TLoss>.MaxBatch && !options.GatheredInBatchAll;
        // The dense phase reads the slots from the positives; only L2 on the batch's rows counts their occurrences.
        _batch = new StepBatch(capacity, slots, encoder.Dim, sampling.HardCount > 0 ? sampling.HardCandidates : 0, dense && l2 != L2Placement.Batch);
        _draw = new DrawPhase(sampling, options.Seed, options.Dropout);
        _hardSelect = sampling.HardCount > 0 ? new HardSelectPhase(sampling, capacity) : null;
        _rowPhase = new RowPhase<TLoss>(loss, encoder.Score, capacity, dense ? 1 : slots, encoder.Dim);
        _items = new ItemGradientPhase(dense ? 0 : encoder.ItemCount, encoder.Dim, runner.Threads);
        _dense = dense ? new InBatchDensePhase<TLoss>(loss, encoder.Score, capacity, slots, encoder.Dim, encoder.ItemCount) : null;
        PhaseSeconds = new double[s_phases.Length];
    }

    public int Rows => _order.Rows;

    public int BatchesPerEpoch => (Rows + _options.BatchSize - 1) / _options.BatchSize;

    public double[] PhaseSeconds { get; }

    public IReadOnlyList<string> PhaseNames => s_phases;

    public TrainerCounters Counters { get; } = new();

    public double RunEpoch(int epoch, ITrainingObserver? observer, CancellationToken cancellation)
    {
        _order.Shuffle(epoch);
        long start = Stopwatch.GetTimestamp();
        double lossSum = 0;
        double lastReport = -1;
        for (int batch = 0; batch < BatchesPerEpoch; batch++)
        {
            cancellation.ThrowIfCancellationRequested();
            int first = batch * _options.BatchSize;
            _order.Fill(_batch, epoch, first, Math.Min(_options.BatchSize, Rows - first));
            lossSum += Step();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (observer is not null && (seconds - lastReport >= 0.25 || batch == BatchesPerEpoch - 1))
            {
                lastReport = seconds;
                long rows = (long)first + _batch.Size;
                observer.OnBatch(new BatchProgress(epoch, batch + 1, BatchesPerEpoch, rows, lossSum / rows, seconds));
            }
        }
        return lossSum / Rows;
    }

    /// <summary>One step over the filled batch; returns its summed row loss.</summary>
    private double Step()
    {
        long t0 = Stopwatch.GetTimestamp();
        _draw.Run(_batch, _runner);
        long t1 = Time(0, t0);

        if (_rows is not null)
        {
            _rows.Collect(_encoder, _batch);
            _adam.CatchUp(_rows.Read);
        }
        _encoder.BeginStep(_batch.ActiveUsers, _batch.ReadItems, _batch.ActiveCandidates, _runner);
        _encoder.UserVectors(_batch.ActiveUsers, _batch.ActiveTargets, _rowPhase.UserVectors.AsSpan(0, _batch.Size * _batch.Dim), _runner);
        _hardSelect?.Run(_batch, _encoder, _rowPhase.UserVectors, _runner);
        long t2 = Time(1, t1);

        double loss = _dense?.RunRows(_batch, _encoder, _rowPhase.UserVectors, _options.Dropout > 0, _runner)
            ?? _rowPhase.Run(_batch, _encoder, _options.Dropout > 0, _runner);
        long t3 = Time(2, t2);

        if (_dense is not null)
        {
            _dense.RunItems(_runner);
        }
        else
        {
            _items.Run(_batch, _encoder, _rowPhase.UserTilde, _rowPhase.CoefA, _rowPhase.CoefB, _runner);
        }
        float[] userGradients = _dense?.UserGradients ?? _rowPhase.UserGradients, itemGradients = _dense?.Gradient ?? _items.Gradient;
        ReadOnlySpan<int> itemRows = _dense is not null ? _dense.Rows : _items.Rows;
        long t4 = Time(3, t3);

        if (_rows is not null)
        {
            _rows.ClearGradients();
        }
        else
        {
            foreach (ParameterBlock block in _encoder.Parameters)
            {
                block.Gradient.Clear();
            }
        }
        if (_layerL2 is not null && _lambda > 0)
        {
            // lambda/2 sum_k (|u_k|^2 + |p_k|^2 + |n_k|^2) / B, added by the backward pass below.
            _layerL2.SetLayerL2(_batch.ActiveUsers, _l2OnPositives ? _batch.ActiveTargets : _batch.ActiveItems, _lambda / _batch.Size);
        }
        _encoder.Backward(_batch.ActiveUsers, _batch.ActiveTargets, userGradients.AsSpan(0, _batch.Size * _batch.Dim), itemGradients, itemRows, _runner);
        long t5 = Time(4, t4);

        if (_l2 == L2Placement.Batch && _lambda > 0)
        {
            // lambda/2 (|u0|^2 + |p0|^2 + |n0|^2) / B: each occurrence of a row adds lambda/B times the row.
            _encoder.AddRowL2(_batch.ActiveUsers, _batch.ActiveItems, _lambda / _batch.Size);
        }
        _adam.Step(_rows is not null ? _rows.SelectStepped(_encoder, _batch, itemRows, _l2 == L2Placement.Batch) : []);
        Time(5, t5);
        Counters.Steps++;
        Counters.Rows += _batch.Size;
        Counters.Slots += (long)_batch.Size * _batch.Slots;
        return loss;
    }

    public IBlockOptimizer Optimizer => _adam;

    private long Time(int phase, long since)
    {
        long now = Stopwatch.GetTimestamp();
        PhaseSeconds[phase] += Stopwatch.GetElapsedTime(since, now).TotalSeconds;
        return now;
    }
}
