using System.Diagnostics;
using System.Numerics;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Training;

/// <summary>Mini-batch training of an MF encoder with any row loss, negatives from a sampler, and dense Adam.</summary>
/// <remarks>
/// As the MML/SimpleX reference: one row per (user, positive) interaction, shuffled each epoch, last partial batch
/// kept; N negatives per row; dropout on the normalised user vector; loss = mean over the batch's rows.
/// A step runs in phases: draw (parallel), index the batch's rows (serial), catch the rows up (parallel),
/// forward and backward per row (parallel), sum the gradients per user and per item in row order (parallel over
/// rows of the tables), Adam step. Row r of epoch e draws its negatives and dropout mask from the stream
/// (seed, e, r), so a row's randomness is fixed for the epoch and independent of the thread count.
/// </remarks>
public sealed class MatrixFactorizationTrainer<TLoss> : IEpochRunner
    where TLoss : struct, IRowLoss
{
    private const int RowChunk = 16;

    private readonly TLoss _loss;
    private readonly TrainerOptions _options;
    private readonly MatrixFactorization _encoder;
    private readonly AdamOptimizer _optimizer;
    private readonly INegativeSampler _sampler;
    private readonly IBatchNegativeSampler? _batchSampler;
    private readonly NegativeSampling _sampling;
    private readonly int _drawn, _hard, _candidates;   // per row: drawn negatives, hard negatives, hard candidates
    private readonly int[] _batchPositives;             // [B]
    private readonly int[] _candidateItems;             // [B, candidates]
    private readonly float[] _candidateScores, _selectScratch; // [B, candidates]
    private readonly Action<int, int> _selectHardRows;
    private int[] _epochNegatives = [];                 // [rows, drawn]: per-epoch timing only
    private readonly Action<int, int> _drawEpochRows;
    private readonly ParallelRunner _runner;
    private readonly int[] _rowUser, _rowItem, _order;
    private readonly int _dim, _slots;
    private readonly Owners _slotRows;          // slot -> its batch row, s / _slots without a division

    // Batch buffers, allocated once.
    private readonly int[] _batchUser;          // [B]
    private readonly int[] _batchItems;         // [B, 1 + N]
    private readonly float[] _dropoutScale;     // [B, dim]
    private readonly float[] _userTilde;        // [B, dim]
    private readonly float[] _userGradient;     // [B, dim]
    private readonly float[] _scores, _coefA, _coefB; // [B, 1 + N]
    private readonly float[] _rowLoss;          // [B]
    private readonly bool _sumOverBatch;
    private readonly PositivePooling _pooling;
    private readonly float[] _userNorm, _positiveScore, _positiveGradient, _positiveLossDelta;   // [B], pooled positives only
    private readonly float[] _poolMax, _poolSum;                                 // [distinct users of the batch]
    private readonly int[] _poolCount;
    private readonly Action<int, int> _scoreRows;
    private readonly bool _l2InSums;                 // the optimizer takes G = data + lambda w with row norms from the sums
    private readonly float _batchL2;                 // lambda of L2 on the batch's rows (0: the optimizer's L2 over tables)
    private float _rowL2;                            // lambda / B for this step: each occurrence of a row adds _rowL2 w
    private readonly double[] _rowNormSquared;       // [distinct users + distinct items] |G|^2 per gradient row
    private readonly int[][] _partCount;             // [parts][distinct items + 1]: item grouping, one part per worker
    private readonly Action<int, int> _countItemSlots, _scatterItemSlots;
    private int _chunks;
    private readonly int[] _localUser;          // [B]: index into the batch's distinct users
    private readonly int[] _activeSlots;        // [B, 1 + N]: per row chunk, the slots with a gradient, in order
    private readonly int[] _activeCount;        // [chunks]
    private readonly ulong[][] _workerBits;     // [workers][ceil(items / 64)]: items drawn by each worker
    private readonly float[] _itemInverseNorm;  // [items]: 1/|e_i|, valid for the items of the current batch
    // Optimizers that leave idle rows alone: norms stay valid between steps; each step renews only its stepped items'.
    private readonly bool _normsPersist;
    private readonly Action<int, int> _renewItemNorms, _computeAllItemNorms;
    private readonly int[] _userStamp, _userLocal, _itemLocal;
    private readonly int[] _distinctUsers, _distinctItems;
    private readonly int[] _userRowStart, _userRowList;   // CSR: distinct user -> batch rows
    private readonly int[] _itemSlotStart, _itemSlotList; // CSR: distinct item -> slots with a gradient
    private readonly int[] _touchedItems;                 // distinct items with a gradient
    private readonly int[] _cursor;                       // scratch for the counting sorts
    private readonly SparseGradient _gradient;
    private int _stamp;

    // Per-step state read by the chunk bodies; the bodies are delegates created once, so a step allocates nothing.
    private int _epoch, _batchStart;
    private float _rowWeight;
    private readonly float _keepScale;
    private readonly uint _dropThreshold;
    private readonly Action<int, int, int> _drawRows;
    private const int UserCatchUpChunk = 16, ItemCatchUpChunk = 256;
    private readonly int[] _catchUpPlan;
    private int _userCount, _itemCount;
    private readonly Action<int, int> _catchUpMixed, _forwardRows, _sumUserGradients, _sumItemGradients;

    /// <param name="batchL2">lambda of <c>(lambda/2) (|u|^2 + |p|^2 + sum |n|^2) / B</c> over the batch's rows, each
    /// occurrence counted (the BSL and LightGCN references); 0 leaves L2 to the optimizer, over whole tables.</param>
    public MatrixFactorizationTrainer(TLoss loss, TrainerOptions options, MatrixFactorization encoder, AdamOptimizer optimizer,
        NegativeSampling sampling, InteractionMatrix train, ParallelRunner runner, float batchL2 = 0)
    {
        options.Validate();
        if (!(batchL2 >= 0) || float.IsInfinity(batchL2))
        {
            throw new ArgumentOutOfRangeException(nameof(batchL2), batchL2, "The batch's L2 weight must be finite and >= 0.");
        }
        if (batchL2 > 0 && optimizer.Options.L2 > 0)
        {
            throw new ArgumentException("L2 goes either on the batch's rows or on the tables, not both: give the optimizer L2 0.", nameof(optimizer));
        }
        _batchL2 = batchL2;
        if (sampling.Negatives != options.Negatives)
        {
            throw new ArgumentException($"The sampling plan fills {sampling.Negatives} negatives per row; the trainer has {options.Negatives}.", nameof(sampling));
        }
        if (train.UserCount != encoder.Users.Rows || train.ItemCount != encoder.Items.Rows)
        {
            throw new ArgumentException("The encoder's tables do not match the train matrix.");
        }
        _loss = loss;
        _options = options;
        _encoder = encoder;
        _optimizer = optimizer;
        _sampling = sampling;
        _sampler = sampling.Drawn;
        _batchSampler = sampling.Drawn as IBatchNegativeSampler;
        _drawn = sampling.DrawnCount;
        _hard = sampling.HardCount;
        _candidates = sampling.HardCandidates;
        _runner = runner;
        _dim = encoder.Dim;
        _slots = 1 + options.Negatives;
        _slotRows = new Owners(_slots);

        _rowUser = new int[train.Count];
        _rowItem = new int[train.Count];
        for (int u = 0, p = 0; u < train.UserCount; u++)
        {
            foreach (int i in train.Row(u))
            {
                _rowUser[p] = u;
                _rowItem[p] = i;
                p++;
            }
        }
        _order = new int[train.Count];

        int b = Math.Min(options.BatchSize, Math.Max(train.Count, 1));
        _batchUser = new int[b];
        _batchItems = new int[b * _slots];
        _dropoutScale = new float[b * _dim];
        _userTilde = new float[b * _dim];
        _userGradient = new float[b * _dim];
        _scores = new float[b * _slots];
        _coefA = new float[b * _slots];
        _coefB = new float[b * _slots];
        _rowLoss = new float[b];
        _sumOverBatch = loss.Reduction == BatchReduction.Sum;
        _pooling = loss.Pooling;
        int pooled = _pooling.Enabled ? b : 0;
        _userNorm = new float[pooled];
        _positiveScore = new float[pooled];
        _positiveGradient = new float[pooled];
        _positiveLossDelta = new float[pooled];
        _poolMax = new float[pooled];
        _poolSum = new float[pooled];
        _poolCount = new int[pooled];
        _scoreRows = ScoreRows;
        _batchPositives = new int[b];
        _candidateItems = new int[b * _candidates];
        _candidateScores = new float[b * _candidates];
        _selectScratch = new float[b * _candidates];
        _selectHardRows = SelectHardRows;
        _drawEpochRows = DrawEpochRows;
        _localUser = new int[b];
        _activeSlots = new int[b * _slots];
        _activeCount = new int[(b + RowChunk - 1) / RowChunk];
        _workerBits = Enumerable.Range(0, runner.Threads).Select(_ => new ulong[(train.ItemCount + 63) / 64]).ToArray();
        _itemInverseNorm = new float[train.ItemCount];
        _normsPersist = !optimizer.IdleRowsChange && !options.RecomputeItemNormsEveryStep;
        _renewItemNorms = RenewItemNorms;
        _computeAllItemNorms = ComputeAllItemNorms;
        _userStamp = new int[train.UserCount];
        _userLocal = new int[train.UserCount];
        _itemLocal = new int[train.ItemCount];
        _distinctUsers = new int[b];
        _distinctItems = new int[Math.Min(b * (_slots + _candidates), train.ItemCount)];
        _userRowStart = new int[b + 1];
        _userRowList = new int[b];
        _itemSlotStart = new int[_distinctItems.Length + 1];
        _itemSlotList = new int[b * _slots];
        _touchedItems = new int[_distinctItems.Length];
        _cursor = new int[Math.Max(b, _distinctItems.Length) + 1];
        _gradient = new SparseGradient(_dim, b, _distinctItems.Length);
        _keepScale = (float)(1 / (1 - options.Dropout));
        _dropThreshold = (uint)Math.Min(uint.MaxValue, Math.Round(options.Dropout * 4294967296.0));
        _l2InSums = optimizer.CanStepWithL2Added;
        _rowNormSquared = new double[b + _distinctItems.Length];
        _partCount = Enumerable.Range(0, runner.Threads).Select(_ => new int[_distinctItems.Length + 1]).ToArray();
        _countItemSlots = CountItemSlots;
        _scatterItemSlots = ScatterItemSlots;
        _drawRows = DrawRows;
        _catchUpMixed = CatchUpMixed;
        _catchUpPlan = new int[(b + UserCatchUpChunk - 1) / UserCatchUpChunk + (_distinctItems.Length + ItemCatchUpChunk - 1) / ItemCatchUpChunk + 1];
        _forwardRows = ForwardRows;
        _sumUserGradients = SumUserGradients;
        _sumItemGradients = SumItemGradients;
    }

    public int Rows => _rowUser.Length;

    public int BatchesPerEpoch => (Rows + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Runs one epoch (1-based number) and returns the mean row loss.</summary>
    public double RunEpoch(int epoch, ITrainingObserver? observer, CancellationToken cancellation)
    {
        for (int p = 0; p < _order.Length; p++)
        {
            _order[p] = p;
        }
        var shuffle = Xoshiro256.ForStream(_options.Seed, 0x5F0FF1E, (ulong)epoch);
        shuffle.Shuffle(_order.AsSpan());
        if (_sampling.Timing == NegativeDrawTiming.PerEpoch)
        {
            if (_epochNegatives.Length == 0)
            {
                if ((long)Rows * _drawn > Array.MaxLength)
                {
                    throw new InvalidOperationException($"Drawing every row's negatives once per epoch needs {(long)Rows * _drawn:N0} slots, more than one array holds; draw per batch instead.");
                }
                _epochNegatives = new int[Rows * _drawn];
            }
            _epoch = epoch;
            _runner.For(Rows, 1024, _drawEpochRows);
        }

        if (_normsPersist && _encoder.Score == ScoreKind.Cosine)
        {
            // Whatever changed the items since the last epoch (nothing, unless a caller did), norms start valid.
            _runner.For(_encoder.Items.Rows, 1024, _computeAllItemNorms);
        }

        long epochStart = Stopwatch.GetTimestamp();
        double lossSum = 0;
        long rowsDone = 0;
        int batches = BatchesPerEpoch;
        double lastReport = -1;
        for (int batch = 0; batch < batches; batch++)
        {
            cancellation.ThrowIfCancellationRequested();
            int start = batch * _options.BatchSize;
            int size = Math.Min(_options.BatchSize, Rows - start);
            lossSum += Step(epoch, start, size);
            rowsDone += size;
            double now = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
            if (observer is not null && (now - lastReport >= 0.2 || batch == batches - 1))
            {
                lastReport = now;
                observer.OnBatch(new BatchProgress(epoch, batch + 1, batches, rowsDone, lossSum / rowsDone, now));
            }
        }
        CheckFinite(epoch);
        return Rows == 0 ? 0 : lossSum / Rows;
    }

    /// <summary>The last step's rows: user, items (positive, drawn, hard) and hard candidates; for tests.</summary>
    internal (int User, int[] Items, int[] Candidates) LastBatchRow(int r) =>
        (_batchUser[r], _batchItems.AsSpan(r * _slots, _slots).ToArray(), _candidateItems.AsSpan(r * _candidates, _candidates).ToArray());

    internal int LastBatchSize => (Rows - 1) % _options.BatchSize + 1;

    /// <summary>Work done since construction, for throughput figures.</summary>
    public TrainerCounters Counters { get; } = new();

    /// <summary>Seconds spent in each phase of the step since construction: draw, index, catch-up, forward-backward, group, sum, adam.</summary>
    public double[] PhaseSeconds { get; } = new double[8];

    public IReadOnlyList<string> PhaseNames { get; } = ["draw", "index", "catch-up", "hard-select", "forward-backward", "group", "sum-gradients", "adam-step"];

    private long _phaseClock;

    private void EndPhase(int phase)
    {
        long now = Stopwatch.GetTimestamp();
        PhaseSeconds[phase] += (now - _phaseClock) / (double)Stopwatch.Frequency;
        _phaseClock = now;
    }

    /// <summary>One optimisation step over order[start .. start + size); returns the sum of row losses.</summary>
    private double Step(int epoch, int start, int size)
    {
        _phaseClock = Stopwatch.GetTimestamp();
        int slots = _slots;
        _epoch = epoch;
        _batchStart = start;
        _rowWeight = _sumOverBatch ? 1f : 1f / size;
        _rowL2 = _batchL2 / size;

        // 1. Draw negatives (and hard candidates) and dropout masks (parallel, per-row streams); each worker marks
        //    the items it drew. A batch-dependent sampler first sees the batch's positives (serial).
        if (_batchSampler is not null)
        {
            for (int r = 0; r < size; r++)
            {
                _batchPositives[r] = _rowItem[_order[start + r]];
            }
            _batchSampler.BeginBatch(_batchPositives.AsSpan(0, size));
        }
        _runner.ForWorkers(size, RowChunk, _drawRows);
        EndPhase(0);

        // 2. Index the batch's distinct users (first-appearance order) and items (ascending, so the catch-up walks
        //    the item tables in address order); serial. OR-ing the workers' bitmaps is order-independent.
        int stamp = ++_stamp;
        int userCount = 0, itemCount = 0;
        for (int r = 0; r < size; r++)
        {
            int u = _batchUser[r];
            if (_userStamp[u] != stamp)
            {
                _userStamp[u] = stamp;
                _userLocal[u] = userCount;
                _distinctUsers[userCount++] = u;
            }
            _localUser[r] = _userLocal[u];
        }
        for (int word = 0; word < _workerBits[0].Length; word++)
        {
            ulong bits = 0;
            foreach (ulong[] workerBits in _workerBits)
            {
                bits |= workerBits[word];
                workerBits[word] = 0;
            }
            while (bits != 0)
            {
                int i = (word << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                _itemLocal[i] = itemCount;
                _distinctItems[itemCount++] = i;
            }
        }
        EndPhase(1);

        // 3. Bring every row this step reads up to date, and cache the items' inverse norms while they are hot.
        // Users (long replays: compute-bound) are spread among items (short replays: memory-bound) in one loop, so
        // the two kinds of work overlap on the cores. Plan entry >= 0: an item chunk start; < 0: ~(user chunk start).
        int userChunks = (userCount + UserCatchUpChunk - 1) / UserCatchUpChunk;
        int itemChunks = (itemCount + ItemCatchUpChunk - 1) / ItemCatchUpChunk;
        int planned = 0;
        for (int c = 0, nextUser = 0; c < itemChunks || nextUser < userChunks; c++)
        {
            while (nextUser < userChunks && (c >= itemChunks || (long)nextUser * itemChunks <= (long)c * userChunks))
            {
                _catchUpPlan[planned++] = ~(nextUser++ * UserCatchUpChunk);
            }
            if (c < itemChunks)
            {
                _catchUpPlan[planned++] = c * ItemCatchUpChunk;
            }
        }
        _userCount = userCount;
        _itemCount = itemCount;
        _runner.For(planned, 1, _catchUpMixed);
        Counters.RowsCaughtUp += userCount + itemCount;
        Counters.ItemRowsRead += itemCount;
        EndPhase(2);

        // 3b. Hard negatives: score each row's candidates with the caught-up model, keep the top ones (parallel).
        if (_hard > 0)
        {
            _runner.For(size, RowChunk, _selectHardRows);
        }
        EndPhase(3);

        // 4. Forward and backward per row (parallel; rows write only their own slices). Each chunk lists, in slot
        //    order, the slots whose item receives a gradient.
        if (_pooling.Enabled)
        {
            _runner.For(size, RowChunk, _scoreRows);
            PoolPositives(size, userCount);
        }
        _runner.For(size, RowChunk, _forwardRows);
        EndPhase(4);

        // 5. Group rows by user and active slots by item, in row then slot order (serial counting sorts).
        Array.Clear(_userRowStart, 0, userCount + 1);
        for (int r = 0; r < size; r++)
        {
            _userRowStart[_localUser[r] + 1]++;
        }
        for (int q = 0; q < userCount; q++)
        {
            _userRowStart[q + 1] += _userRowStart[q];
        }
        Array.Copy(_userRowStart, _cursor, userCount);
        for (int r = 0; r < size; r++)
        {
            _userRowList[_cursor[_localUser[r]]++] = r;
        }

        // Items: each part (a contiguous range of row chunks, one per worker) counts and scatters its own slots;
        // parts are laid out in order within each item, so every item lists its slots in ascending slot order
        // whatever the number of parts.
        _chunks = (size + RowChunk - 1) / RowChunk;
        int parts = _partCount.Length;
        _runner.For(parts, 1, _countItemSlots);
        int touched = 0, running = 0;
        for (int q = 0; q < itemCount; q++)
        {
            _itemSlotStart[q] = running;
            foreach (int[] count in _partCount)
            {
                int c = count[q];
                count[q] = running;
                running += c;
            }
            if (running > _itemSlotStart[q])
            {
                _touchedItems[touched++] = q;
            }
        }
        _itemSlotStart[itemCount] = running;
        _runner.For(parts, 1, _scatterItemSlots);
        EndPhase(5);

        // 6. Sum the data gradients per user and per item in that fixed order (parallel over table rows).
        _gradient.Clear();
        _gradient.Counts[0] = userCount;
        _gradient.Counts[1] = touched;
        _runner.For(userCount, RowChunk, _sumUserGradients);
        _runner.For(touched, RowChunk * 4, _sumItemGradients);
        EndPhase(6);

        // 7. Adam step.
        Counters.RowsStepped += userCount + touched;
        Counters.Steps++;
        Counters.Rows += size;
        Counters.Slots += (long)size * slots;
        if (_l2InSums)
        {
            _optimizer.StepWithL2Added(_gradient, _rowNormSquared);
        }
        else
        {
            _optimizer.Step(_gradient);
        }
        if (_normsPersist && _encoder.Score == ScoreKind.Cosine)
        {
            _runner.For(touched, RowChunk * 16, _renewItemNorms);
        }
        EndPhase(7);

        double sum = 0;
        for (int r = 0; r < size; r++)
        {
            sum += _rowLoss[r];
        }
        return sum;
    }

    private void DrawRows(int from, int to, int worker)
    {
        int dim = _dim, slots = _slots;

        ulong[] bits = _workerBits[worker];
        for (int r = from; r < to; r++)
        {
            int position = _batchStart + r;
            int row = _order[position];
            int u = _rowUser[row];
            _batchUser[r] = u;
            _batchItems[r * slots] = _rowItem[row];
            Span<int> drawn = _batchItems.AsSpan(r * slots + 1, _drawn);
            if (_sampling.Timing == NegativeDrawTiming.PerEpoch)
            {
                _epochNegatives.AsSpan(position * _drawn, _drawn).CopyTo(drawn);
            }
            else
            {
                var rng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 1);
                _sampler.Sample(ref rng, u, drawn);
            }
            foreach (int i in _batchItems.AsSpan(r * slots, 1 + _drawn))
            {
                bits[i >> 6] |= 1UL << i;
            }
            if (_hard > 0)
            {
                // The hard slots are filled after the catch-up, from these candidates (all marked for it).
                var candidateRng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 3);
                Span<int> candidates = _candidateItems.AsSpan(r * _candidates, _candidates);
                _sampling.CandidateSampler!.Sample(ref candidateRng, u, candidates);
                foreach (int i in candidates)
                {
                    bits[i >> 6] |= 1UL << i;
                }
            }
            if (_options.Dropout > 0)
            {
                var maskRng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 2);
                Span<float> scale = _dropoutScale.AsSpan(r * dim, dim);
                for (int d = 0; d < dim; d++)
                {
                    scale[d] = maskRng.NextUInt32() < _dropThreshold ? 0f : _keepScale;
                }
            }
        }
    }

    /// <summary>Per-epoch timing: every row's drawn negatives for the epoch, from the same streams as DrawRows.</summary>
    private void DrawEpochRows(int from, int to)
    {
        for (int position = from; position < to; position++)
        {
            int u = _rowUser[_order[position]];
            var rng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 1);
            _sampler.Sample(ref rng, u, _epochNegatives.AsSpan(position * _drawn, _drawn));
        }
    }

    /// <summary>Scores each row's candidates with the caught-up model (no dropout) and keeps the top ones as its hard
    /// negatives. Cosine ranks by u . e_i / |e_i| (|u| is common to the row).</summary>
    private void SelectHardRows(int from, int to)
    {
        int dim = _dim, slots = _slots, m = _candidates;
        float[] users = _encoder.Users.Weights, items = _encoder.Items.Weights;
        bool cosine = _encoder.Score == ScoreKind.Cosine;
        for (int r = from; r < to; r++)
        {
            ReadOnlySpan<int> candidates = _candidateItems.AsSpan(r * m, m);
            Span<float> scores = _candidateScores.AsSpan(r * m, m);
            GatherDot.Compute(users.AsSpan(_batchUser[r] * dim, dim), items, candidates, scores);
            if (cosine)
            {
                for (int k = 0; k < m; k++)
                {
                    scores[k] *= _itemInverseNorm[candidates[k]];
                }
            }
            HardNegativeSelection.SelectTop(candidates, scores, _selectScratch.AsSpan(r * m, m), _batchItems.AsSpan(r * slots + 1 + _drawn, _hard));
        }
    }

    private void CatchUpItems(int from, int to)
    {
        ReadOnlySpan<int> rows = _distinctItems.AsSpan(from, to - from);
        _optimizer.CatchUpSerial(1, rows);
        if (_encoder.Score == ScoreKind.Cosine && !_normsPersist)
        {
            SetInverseNorms(rows);
        }
    }

    /// <summary>The norms of the item rows this step's Adam update changed (gradient rows [from, to) of the item table).</summary>
    private void RenewItemNorms(int from, int to) => SetInverseNorms(_gradient.Rows[1].AsSpan(from, to - from));

    /// <summary>1 / max(|e_i|, 1e-12) for the given item rows, as torch.nn.functional.normalize clamps it.</summary>
    private void SetInverseNorms(ReadOnlySpan<int> rows)
    {
        float[] items = _encoder.Items.Weights;
        foreach (int i in rows)
        {
            _itemInverseNorm[i] = InverseNorm(items.AsSpan(i * _dim, _dim));
        }
    }

    private static float InverseNorm(ReadOnlySpan<float> e) => 1f / MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares<float>(e)), 1e-12f);

    private void ComputeAllItemNorms(int from, int to)
    {
        float[] items = _encoder.Items.Weights;
        for (int i = from; i < to; i++)
        {
            _itemInverseNorm[i] = InverseNorm(items.AsSpan(i * _dim, _dim));
        }
    }

    private void ForwardRows(int from, int to)
    {
        int dim = _dim, slots = _slots;
        float[] users = _encoder.Users.Weights, items = _encoder.Items.Weights;

        int active = 0;
        int listStart = from * slots;
        for (int r = from; r < to; r++)
        {
            ReadOnlySpan<float> dropout = _options.Dropout > 0 ? _dropoutScale.AsSpan(r * dim, dim) : default;
            if (_pooling.Enabled)
            {
                // Scores and 1/|e_k| are already in place (ScoreRows); only the positive's derivative changes.
                _rowLoss[r] = _positiveLossDelta[r] + RowKernel.LossAndGradients(_loss, _encoder.Score, users.AsSpan(_batchUser[r] * dim, dim),
                    _userNorm[r], items, dim, _batchItems.AsSpan(r * slots, slots), dropout, _rowWeight, _userGradient.AsSpan(r * dim, dim),
                    _scores.AsSpan(r * slots, slots), _coefA.AsSpan(r * slots, slots), _coefB.AsSpan(r * slots, slots), _positiveGradient[r]);
            }
            else
            {
                _rowLoss[r] = RowKernel.ForwardBackward(_loss, _encoder.Score, users.AsSpan(_batchUser[r] * dim, dim), items, dim,
                    _batchItems.AsSpan(r * slots, slots), dropout, _rowWeight,
                    _encoder.Score == ScoreKind.Cosine ? _itemInverseNorm : default,
                    _userTilde.AsSpan(r * dim, dim), _userGradient.AsSpan(r * dim, dim),
                    _scores.AsSpan(r * slots, slots), _coefA.AsSpan(r * slots, slots), _coefB.AsSpan(r * slots, slots));
            }
            for (int s = r * slots; s < (r + 1) * slots; s++)
            {
                // With L2 on the batch's rows every slot's item has a gradient, whatever the loss gave it.
                if (_coefA[s] != 0f || _coefB[s] != 0f || _batchL2 > 0)
                {
                    _activeSlots[listStart + active++] = s;
                }
            }
        }
        _activeCount[from / RowChunk] = active;
    }

    /// <summary>The scoring half of the row pass, for losses that pool positives across rows before any gradient.</summary>
    private void ScoreRows(int from, int to)
    {
        int dim = _dim, slots = _slots;
        float[] users = _encoder.Users.Weights, items = _encoder.Items.Weights;
        for (int r = from; r < to; r++)
        {
            _userNorm[r] = RowKernel.PrepareUser<float>(_encoder.Score, users.AsSpan(_batchUser[r] * dim, dim),
                _options.Dropout > 0 ? _dropoutScale.AsSpan(r * dim, dim) : default, _userTilde.AsSpan(r * dim, dim));
            RowKernel.Score<float>(_encoder.Score, _userTilde.AsSpan(r * dim, dim), items, dim, _batchItems.AsSpan(r * slots, slots),
                _encoder.Score == ScoreKind.Cosine ? _itemInverseNorm : default, _scores.AsSpan(r * slots, slots), _coefB.AsSpan(r * slots, slots));
        }
    }

    /// <summary>Pooled positive parts (<see cref="PooledPositives"/>) from the rows' positive scores; serial.</summary>
    private void PoolPositives(int size, int userCount)
    {
        for (int r = 0; r < size; r++)
        {
            _positiveScore[r] = _scores[r * _slots];
        }
        PooledPositives.Compute<float>(_pooling, _positiveScore.AsSpan(0, size), _localUser.AsSpan(0, size), userCount,
            _positiveLossDelta, _positiveGradient, _poolMax, _poolSum, _poolCount);
    }

    /// <summary>Row chunks [first, end) of part p when the batch's chunks are cut into equal contiguous parts.</summary>
    private (int First, int End) PartChunks(int part) =>
        (part * _chunks / _partCount.Length, (part + 1) * _chunks / _partCount.Length);

    private void CountItemSlots(int from, int to)
    {
        for (int part = from; part < to; part++)
        {
            int[] count = _partCount[part];
            Array.Clear(count, 0, _itemCount);
            (int first, int end) = PartChunks(part);
            for (int c = first; c < end; c++)
            {
                int listStart = c * RowChunk * _slots;
                for (int n = 0; n < _activeCount[c]; n++)
                {
                    count[_itemLocal[_batchItems[_activeSlots[listStart + n]]]]++;
                }
            }
        }
    }

    private void ScatterItemSlots(int from, int to)
    {
        for (int part = from; part < to; part++)
        {
            int[] cursor = _partCount[part];
            (int first, int end) = PartChunks(part);
            for (int c = first; c < end; c++)
            {
                int listStart = c * RowChunk * _slots;
                for (int n = 0; n < _activeCount[c]; n++)
                {
                    int s = _activeSlots[listStart + n];
                    _itemSlotList[cursor[_itemLocal[_batchItems[s]]]++] = s;
                }
            }
        }
    }

    private void SumUserGradients(int from, int to)
    {
        int dim = _dim;
        for (int q = from; q < to; q++)
        {
            _gradient.Rows[0][q] = _distinctUsers[q];
            Span<float> g = _gradient.Value(0, q);
            g.Clear();
            for (int p = _userRowStart[q]; p < _userRowStart[q + 1]; p++)
            {
                int r = _userRowList[p];
                VectorKernels.MultiplyAdd<float>(_userGradient.AsSpan(r * dim, dim), 1f, g);
            }
            if (_batchL2 > 0)
            {
                // d/dw of (lambda/2B) |w|^2 once per row of the user.
                VectorKernels.MultiplyAdd<float>(_encoder.Users.Weights.AsSpan(_distinctUsers[q] * dim, dim), _rowL2 * (_userRowStart[q + 1] - _userRowStart[q]), g);
            }
            if (_l2InSums)
            {
                _rowNormSquared[q] = _optimizer.Kernel.AddL2(_encoder.Users.Weights.AsSpan(_distinctUsers[q] * dim, dim), g);
            }
        }
    }

    private void SumItemGradients(int from, int to)
    {
        int dim = _dim;
        float[] items = _encoder.Items.Weights;

        for (int t = from; t < to; t++)
        {
            int q = _touchedItems[t];
            int item = _distinctItems[q];
            _gradient.Rows[1][t] = item;
            Span<float> g = _gradient.Value(1, t);
            // dL/de_i = sum_s a_s u~_row(s) - (sum_s b_s) e_i over the slots that drew item i
            ReadOnlySpan<int> itemSlots = _itemSlotList.AsSpan(_itemSlotStart[q], _itemSlotStart[q + 1] - _itemSlotStart[q]);
            GatherScaledSum.Compute(_userTilde, itemSlots, _slotRows, _coefA, g);
            float bSum = 0;
            foreach (int s in itemSlots)
            {
                bSum += _coefB[s];
            }
            if (bSum != 0f)
            {
                VectorKernels.MultiplyAdd<float>(items.AsSpan(item * dim, dim), -bSum, g);
            }
            if (_batchL2 > 0)
            {
                // Every slot of the item is listed (ForwardRows): once per slot.
                VectorKernels.MultiplyAdd<float>(items.AsSpan(item * dim, dim), _rowL2 * itemSlots.Length, g);
            }
            if (_l2InSums)
            {
                _rowNormSquared[_userCount + t] = _optimizer.Kernel.AddL2(items.AsSpan(item * dim, dim), g);
            }
        }
    }

    private void CatchUpMixed(int from, int to)
    {
        for (int c = from; c < to; c++)
        {
            int entry = _catchUpPlan[c];
            if (entry < 0)
            {
                int start = ~entry;
                _optimizer.CatchUpSerial(0, _distinctUsers.AsSpan(start, Math.Min(UserCatchUpChunk, _userCount - start)));
            }
            else
            {
                CatchUpItems(entry, Math.Min(entry + ItemCatchUpChunk, _itemCount));
            }
        }
    }

    /// <summary>After each epoch one sum per table checks finiteness; the error names the likely fix.</summary>
    private void CheckFinite(int epoch)
    {
        for (int t = 0; t < 2; t++)
        {
            EmbeddingTable table = t == 0 ? _encoder.Users : _encoder.Items;
            string name = t == 0 ? "user" : "item";
            double sum = 0;
            foreach (float w in table.Weights)
            {
                sum += w;
            }
            if (!double.IsFinite(sum))
            {
                throw new TrainingDivergedException($"The {name} embeddings are not finite after epoch {epoch}: training diverged. Lower the learning rate (--lr) or enable gradient clipping (--clip-norm).");
            }
        }
    }
}

/// <summary>Counts of the work a trainer did.</summary>
public sealed class TrainerCounters
{
    /// <summary>Training rows processed.</summary>
    public long Rows { get; set; }

    /// <summary>(row, item) scores computed: rows x (1 + negatives).</summary>
    public long Slots { get; set; }

    /// <summary>Table rows brought up to date before being read (each may replay several steps).</summary>
    public long RowsCaughtUp { get; set; }

    /// <summary>Table rows given a data-gradient Adam step.</summary>
    public long RowsStepped { get; set; }

    /// <summary>Distinct item rows read by steps (each first brought up to date, which reads and writes its w, m and v).</summary>
    public long ItemRowsRead { get; set; }

    /// <summary>Optimisation steps taken.</summary>
    public long Steps { get; set; }
}

/// <summary>Training produced non-finite parameters.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(string message) : base(message)
    {
    }
}
