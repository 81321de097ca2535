using System.Diagnostics;
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
public sealed partial class MatrixFactorizationTrainer<TLoss> : IEpochRunner
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
    private readonly FloatBuffer _dropoutScale;   // [B, dim], rows line-aligned like the tables
    private readonly FloatBuffer _userTilde;      // [B, dim]
    private readonly FloatBuffer _userGradient;   // [B, dim]
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
    private readonly int[] _itemSlotStart;                // CSR: distinct item -> its slots with a gradient,
    private readonly SlotTerm[] _itemTerms;               // as (row, a, b) terms, in slot order
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
        ArgumentRange.Check(batchL2, 0, double.PositiveInfinity, "The batch's L2 weight", parameter: nameof(batchL2));
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
        _dropoutScale = new FloatBuffer(b * _dim);
        _userTilde = new FloatBuffer(b * _dim);
        _userGradient = new FloatBuffer(b * _dim);
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
        _itemTerms = new SlotTerm[b * _slots];
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
}
