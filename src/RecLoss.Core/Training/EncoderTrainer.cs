using System.Diagnostics;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

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
/// A step runs named phases: <c>draw</c> (each row's negatives and dropout mask from the stream (seed, epoch, row),
/// in parallel), <c>encode</c> (the encoder's step work and the rows' user vectors), <c>rows</c> (the row kernel:
/// scores, loss, dL/d(user vector) and per-slot item coefficients, in parallel), <c>items</c> (dL/d(item vector)
/// summed per item in row order, items split between workers), <c>backward</c> (the encoder maps the gradients onto
/// its blocks), <c>adam</c> (L2, clipping, dense Adam). Every sum runs in a fixed order, so one seed gives the same
/// parameters whatever the thread count. MF keeps its own faster trainer (<see cref="MatrixFactorizationTrainer{TLoss}"/>).
/// </remarks>
public sealed class EncoderTrainer<TLoss> : IEpochRunner, ICatchUp
    where TLoss : struct, IRowLoss
{
    private static readonly string[] s_phases = ["draw", "encode", "rows", "items", "backward", "adam"];

    private readonly TLoss _loss;
    private readonly TrainerOptions _options;
    private readonly IEncoder _encoder;
    private readonly IBlockOptimizer _adam;
    private readonly RowSet[] _rows;           // per block: the rows this step reads (encoders that read few rows)
    private readonly RowSet[] _steppedRows;    // per block: the read rows with a nonzero gradient, stepped now
    private readonly RowSet _slotItems;        // the step's distinct slot items
    private readonly bool _sparse;             // rows deferred and replayed (ReplayBlockAdam) rather than all stepped
    private readonly L2Placement _l2;
    private readonly float _lambda;
    private readonly INegativeSampler _sampler;
    private readonly IBatchNegativeSampler? _batchSampler;
    private readonly InteractionMatrix _train;
    private readonly ParallelRunner _runner;
    private readonly EpochRows _epochRows;
    private readonly int[] _rowUser, _rowItem, _order;
    private readonly int _dim, _slots, _negatives;
    private readonly float _keepScale;
    private readonly uint _dropThreshold;
    private readonly bool _sumOverBatch;

    // Step buffers, allocated once.
    private readonly int[] _batchUser, _batchTarget, _batchItems;                   // [B], [B], [B, slots]
    private readonly float[] _dropout, _userVectors, _userTilde, _userGradient;     // [B, dim]
    private readonly float[] _scores, _coefA, _coefB, _rowLoss;                      // [B, slots] x3, [B]
    private readonly float[] _itemGradient;                                          // [items, dim]
    private readonly Action<int, int> _drawRows, _forwardRows;
    private readonly Action<int, int> _sumItems;
    private int _epoch, _batchStart, _batchSize;
    private float _rowWeight;

    public EncoderTrainer(TLoss loss, TrainerOptions options, IEncoder encoder, AdamOptions adam, L2Placement l2, NegativeSampling sampling,
        InteractionMatrix train, ParallelRunner runner, EpochRows epochRows = EpochRows.Interactions, bool denseAdam = false)
    {
        options.Validate();
        if (sampling.HardCount > 0 || sampling.Timing == NegativeDrawTiming.PerEpoch)
        {
            throw new ArgumentException("This trainer draws every negative per batch and has no hard negatives yet; use uniform, popularity or in-batch negatives.");
        }
        if (loss.Pooling.Enabled)
        {
            throw new ArgumentException("Pooled positives are implemented in the MF trainer only.");
        }
        _loss = loss;
        _options = options;
        _encoder = encoder;
        _l2 = l2;
        _lambda = (float)adam.L2;
        _sparse = encoder.ReadsFewRows && !denseAdam;
        _adam = _sparse
            ? new ReplayBlockAdam(adam, encoder.Parameters, l2 == L2Placement.Tables, runner)
            : new BlockAdam(adam, encoder.Parameters, l2, runner);
        _rows = encoder.Parameters.Select(p => new RowSet(p.Rows)).ToArray();
        _steppedRows = encoder.Parameters.Select(p => new RowSet(p.Rows)).ToArray();
        _slotItems = new RowSet(encoder.ItemCount);
        _sampler = sampling.Drawn;
        _batchSampler = sampling.Drawn as IBatchNegativeSampler;
        _train = train;
        _runner = runner;
        _epochRows = epochRows;
        _dim = encoder.Dim;
        _negatives = options.Negatives;
        _slots = 1 + options.Negatives;
        _keepScale = (float)(1 / (1 - options.Dropout));
        _dropThreshold = (uint)Math.Min(uint.MaxValue, Math.Round(options.Dropout * 4294967296.0));
        _sumOverBatch = loss.Reduction == BatchReduction.Sum;
        (_rowUser, _rowItem) = Interactions(train);
        _order = new int[_rowUser.Length];
        int b = Math.Min(options.BatchSize, Math.Max(_rowUser.Length, 1));
        _batchUser = new int[b];
        _batchTarget = new int[b];
        _batchItems = new int[b * _slots];
        _dropout = new float[b * _dim];
        _userVectors = new float[b * _dim];
        _userTilde = new float[b * _dim];
        _userGradient = new float[b * _dim];
        _scores = new float[b * _slots];
        _coefA = new float[b * _slots];
        _coefB = new float[b * _slots];
        _rowLoss = new float[b];
        _itemGradient = new float[(long)encoder.ItemCount * _dim];
        _drawRows = DrawRows;
        _forwardRows = ForwardRows;
        _sumItems = SumItemGradients;
        PhaseSeconds = new double[s_phases.Length];
    }

    public int Rows => _rowUser.Length;

    public int BatchesPerEpoch => (Rows + _options.BatchSize - 1) / _options.BatchSize;

    public double[] PhaseSeconds { get; }

    public IReadOnlyList<string> PhaseNames => s_phases;

    public TrainerCounters Counters { get; } = new();

    public double RunEpoch(int epoch, ITrainingObserver? observer, CancellationToken cancellation)
    {
        _epoch = epoch;
        OrderRows(epoch);
        long start = Stopwatch.GetTimestamp();
        double lossSum = 0;
        double lastReport = -1;
        for (int batch = 0; batch < BatchesPerEpoch; batch++)
        {
            cancellation.ThrowIfCancellationRequested();
            _batchStart = batch * _options.BatchSize;
            _batchSize = Math.Min(_options.BatchSize, Rows - _batchStart);
            lossSum += Step();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (observer is not null && (seconds - lastReport >= 0.25 || batch == BatchesPerEpoch - 1))
            {
                lastReport = seconds;
                long rows = (long)_batchStart + _batchSize;
                observer.OnBatch(new BatchProgress(epoch, batch + 1, BatchesPerEpoch, rows, lossSum / rows, seconds));
            }
        }
        return lossSum / Rows;
    }

    /// <summary>One step over rows [_batchStart, _batchStart + _batchSize) of the epoch's order; returns the summed row loss.</summary>
    private double Step()
    {
        int b = _batchSize;
        long t0 = Stopwatch.GetTimestamp();
        for (int r = 0; r < b; r++)
        {
            int row = _order[_batchStart + r];
            _batchUser[r] = _rowUser[row];
            _batchTarget[r] = _rowItem[row];
        }
        _batchSampler?.BeginBatch(_batchTarget.AsSpan(0, b));
        _runner.For(b, 16, _drawRows);
        _slotItems.Clear();
        _slotItems.AddRange(_batchItems.AsSpan(0, b * _slots));
        long t1 = Time(0, t0);

        if (_sparse)
        {
            foreach (RowSet set in _rows)
            {
                set.Clear();
            }
            _encoder.CollectRows(_batchUser.AsSpan(0, b), _batchItems.AsSpan(0, b * _slots), _rows);
            foreach (RowSet set in _rows)
            {
                // Ascending rows: the catch-up and the step then walk each table forward, which the prefetchers follow.
                set.Buffer.AsSpan(0, set.Count).Sort();
            }
            _adam.CatchUp(_rows);
        }
        _encoder.BeginStep(_runner);
        _encoder.UserVectors(_batchUser.AsSpan(0, b), _batchTarget.AsSpan(0, b), _userVectors.AsSpan(0, b * _dim), _runner);
        long t2 = Time(1, t1);

        _rowWeight = _sumOverBatch ? 1f : 1f / b;
        _runner.For(b, 16, _forwardRows);
        double loss = 0;
        for (int r = 0; r < b; r++)
        {
            loss += _rowLoss[r];
        }
        long t3 = Time(2, t2);

        _runner.For(_runner.Threads, 1, _sumItems);
        long t4 = Time(3, t3);

        ClearGradients();
        _encoder.Backward(_batchUser.AsSpan(0, b), _batchTarget.AsSpan(0, b), _userGradient.AsSpan(0, b * _dim), _itemGradient, _slotItems.Rows, _runner);
        long t5 = Time(4, t4);

        if (_l2 == L2Placement.Batch && _lambda > 0)
        {
            // lambda/2 (|u0|^2 + |p0|^2 + |n0|^2) / B: each occurrence of a row adds lambda/B times the row.
            _encoder.AddRowL2(_batchUser.AsSpan(0, b), _batchItems.AsSpan(0, b * _slots), _lambda / b);
        }
        _adam.Step(_sparse ? SteppedRows() : _rows);
        Time(5, t5);
        Counters.Rows += b;
        Counters.Slots += (long)b * _slots;
        return loss;
    }

    /// <summary>
    /// The read rows whose gradient is not all zero. A row with a zero data gradient takes exactly the step its
    /// deferred replay would give it later (G = 0 + lambda w), so leaving it to the replay changes nothing but the
    /// time: with margin losses most negatives have no gradient, as in MF's trainer.
    /// </summary>
    private RowSet[] SteppedRows()
    {
        for (int p = 0; p < _encoder.Parameters.Count; p++)
        {
            ParameterBlock block = _encoder.Parameters[p];
            RowSet stepped = _steppedRows[p];
            stepped.Clear();
            foreach (int row in _rows[p].Rows)
            {
                if (block.Gradient.AsSpan(row * block.Cols, block.Cols).ContainsAnyExcept(0f))
                {
                    stepped.Add(row);
                }
            }
        }
        return _steppedRows;
    }

    /// <summary>Brings every row up to date (before the parameters are read whole).</summary>
    public void CatchUpAll() => _adam.CatchUpAll();

    /// <summary>Zeroes the gradient rows the step can write: the collected rows of embedding blocks, dense blocks whole.</summary>
    private void ClearGradients()
    {
        for (int p = 0; p < _encoder.Parameters.Count; p++)
        {
            ParameterBlock block = _encoder.Parameters[p];
            if (!_sparse || !block.IsEmbeddingTable)
            {
                Array.Clear(block.Gradient);
                continue;
            }
            foreach (int row in _rows[p].Rows)
            {
                block.Gradient.AsSpan(row * block.Cols, block.Cols).Clear();
            }
        }
    }

    private long Time(int phase, long since)
    {
        long now = Stopwatch.GetTimestamp();
        PhaseSeconds[phase] += Stopwatch.GetElapsedTime(since, now).TotalSeconds;
        return now;
    }

    /// <summary>The epoch's rows: a shuffle of every interaction, or users drawn uniformly with one positive each.</summary>
    private void OrderRows(int epoch)
    {
        var rng = Xoshiro256.ForStream(_options.Seed, 0x5F0FF1E, (ulong)epoch);
        if (_epochRows == EpochRows.Interactions)
        {
            for (int p = 0; p < _order.Length; p++)
            {
                _order[p] = p;
            }
            rng.Shuffle(_order.AsSpan());
            return;
        }
        // Row indices of user u are [start(u), start(u) + n_u) in the interaction list.
        ReadOnlySpan<int> pointers = _train.RowPointers;
        int[] users = Enumerable.Range(0, _train.UserCount).Where(u => _train.RowLength(u) > 0).ToArray();
        for (int p = 0; p < _order.Length; p++)
        {
            int u = users[rng.NextInt(users.Length)];
            _order[p] = pointers[u] + rng.NextInt(_train.RowLength(u));
        }
    }

    private void DrawRows(int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            int position = _batchStart + r;
            Span<int> items = _batchItems.AsSpan(r * _slots, _slots);
            items[0] = _batchTarget[r];
            var rng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 1);
            _sampler.Sample(ref rng, _batchUser[r], items[1..]);
            if (_options.Dropout > 0)
            {
                var maskRng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 2);
                Span<float> scale = _dropout.AsSpan(r * _dim, _dim);
                for (int d = 0; d < _dim; d++)
                {
                    scale[d] = maskRng.NextUInt32() < _dropThreshold ? 0f : _keepScale;
                }
            }
        }
    }

    private void ForwardRows(int start, int end)
    {
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        for (int r = start; r < end; r++)
        {
            int d = r * _dim, s = r * _slots;
            _rowLoss[r] = RowKernel.ForwardBackward(_loss, _encoder.Score, _userVectors.AsSpan(d, _dim), items, _dim,
                _batchItems.AsSpan(s, _slots), _options.Dropout > 0 ? _dropout.AsSpan(d, _dim) : default, _rowWeight, default,
                _userTilde.AsSpan(d, _dim), _userGradient.AsSpan(d, _dim), _scores.AsSpan(s, _slots), _coefA.AsSpan(s, _slots), _coefB.AsSpan(s, _slots));
        }
    }

    /// <summary>dL/de_i = sum over the slots holding i of (a u~ - b e_i), in row order; worker w owns items i with i % W == w.</summary>
    private void SumItemGradients(int firstOwner, int endOwner)
    {
        for (int owner = firstOwner; owner < endOwner; owner++)
        {
            SumItemGradientsOf(owner, _runner.Threads);
        }
    }

    private void SumItemGradientsOf(int worker, int workers)
    {
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        foreach (int i in _slotItems.Rows)
        {
            if (i % workers == worker)
            {
                _itemGradient.AsSpan(i * _dim, _dim).Clear();
            }
        }
        int slots = _batchSize * _slots;
        for (int p = 0; p < slots; p++)
        {
            int i = _batchItems[p];
            if (i % workers != worker || (_coefA[p] == 0 && _coefB[p] == 0))
            {
                continue;
            }
            Span<float> target = _itemGradient.AsSpan(i * _dim, _dim);
            VectorKernels.MultiplyAdd(_userTilde.AsSpan(p / _slots * _dim, _dim), _coefA[p], target);
            if (_coefB[p] != 0)
            {
                VectorKernels.MultiplyAdd(items.Slice(i * _dim, _dim), -_coefB[p], target);
            }
        }
    }

    private static (int[] Users, int[] Items) Interactions(InteractionMatrix train)
    {
        var users = new int[train.Count];
        var items = new int[train.Count];
        for (int u = 0, p = 0; u < train.UserCount; u++)
        {
            foreach (int i in train.Row(u))
            {
                users[p] = u;
                items[p++] = i;
            }
        }
        return (users, items);
    }
}
