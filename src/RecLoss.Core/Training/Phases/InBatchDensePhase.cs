using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// The rows and item gradients of an in-batch-all step (<see cref="Sampling.InBatchAllSampler"/>) as dense products,
/// in place of <see cref="RowPhase{TLoss}"/> and <see cref="ItemGradientPhase"/>: every row scores the same b columns
/// (the batch's positives), so <c>S = U~ V~^T</c> [b, b] holds every slot's score; the loss turns each row's slots
/// (its own column, then the sampler's order) into <c>G = dL/dS</c>; then <c>H = G V~</c> and <c>W = G^T U~</c> give
/// <c>dL/du~</c> and, per column c, <c>dL/de_c = i_c W_c - i_c^2 (sum_r G_rc S_rc) e_c</c> with <c>i_c = 1/|e_c|</c>
/// (cosine; dot: <c>W_c</c>). The same gradients as the gathered phases, summed in another order (equal to float
/// rounding, <c>InBatchDensePhaseTests</c>). Each product element sums in one fixed order and columns are added to
/// their items in column order, so results do not depend on the thread count.
/// </summary>
public sealed class InBatchDensePhase<TLoss>
    where TLoss : struct, IRowLoss
{
    private const int Tile = BlockedScoring.ItemTile;
    private readonly TLoss _loss;
    private readonly ScoreKind _score;
    private readonly bool _sumOverBatch;
    private readonly int _dim, _dimStride, _slots;
    private readonly float[] _users, _userTilde, _userNorm, _columns, _inverseNorm, _packed, _scores, _grad, _gradT, _product;
    private readonly float[] _slotScores, _slotGrads, _beta;
    private readonly bool[] _active;
    private readonly RowSet _touched;
    private readonly Action<int, int> _prepareRows, _scoreRows, _lossRows, _transposeColumns, _userRows, _columnRows;
    private StepBatch _batch = null!;
    private IEncoder _encoder = null!;
    private bool _dropout;
    private int _size, _stride;
    private float _rowWeight;
    private int[] _itemRows = [];

    public InBatchDensePhase(TLoss loss, ScoreKind score, int capacity, int slots, int dim, int items)
    {
        _loss = loss;
        _score = score;
        _sumOverBatch = loss.Reduction == BatchReduction.Sum;
        _dim = dim;
        _dimStride = RoundUp(dim);
        _slots = slots;
        int stride = RoundUp(capacity);
        _users = new float[capacity * dim];
        _userTilde = new float[stride * dim];
        _userNorm = new float[capacity];
        _columns = new float[stride * dim];
        _inverseNorm = new float[capacity];
        _packed = new float[stride * _dimStride];
        _scores = new float[capacity * stride];
        _grad = new float[capacity * stride];
        _gradT = new float[capacity * stride];
        _product = new float[capacity * _dimStride];
        _slotScores = new float[capacity * slots];
        _slotGrads = new float[capacity * slots];
        _beta = new float[capacity];
        _active = new bool[capacity];
        RowLoss = new float[capacity];
        UserGradients = new float[capacity * dim];
        Gradient = new float[(long)items * dim];
        _touched = new RowSet(items);
        (_prepareRows, _scoreRows, _lossRows, _transposeColumns, _userRows, _columnRows) =
            (PrepareRows, ScoreRows, LossRows, TransposeColumns, UserRows, ColumnRows);
    }

    /// <summary>[B, dim]: dL/d(user vector) per row, after <see cref="RunItems"/>.</summary>
    public float[] UserGradients { get; }

    /// <summary>[items, dim]: dL/d(item vector), valid on the rows of <see cref="Rows"/>.</summary>
    public float[] Gradient { get; }

    /// <summary>The step's items with a gradient, ascending.</summary>
    public ReadOnlySpan<int> Rows => _touched.Rows;

    public float[] RowLoss { get; }

    /// <summary>Scores every slot and runs the loss: fills G; returns the batch's summed row loss.</summary>
    public double RunRows(StepBatch batch, IEncoder encoder, ReadOnlySpan<float> userVectors, bool dropout, ParallelRunner runner)
    {
        (_batch, _encoder, _dropout, _size) = (batch, encoder, dropout, batch.Size);
        if (batch.Slots != _slots || batch.Size < 1)
        {
            throw new InvalidOperationException($"The dense in-batch phase was built for {_slots} slots; the batch has {batch.Slots}.");
        }
        _stride = RoundUp(_size);
        _rowWeight = _sumOverBatch ? 1f : 1f / _size;
        userVectors[..(_size * _dim)].CopyTo(_users);
        runner.For(_size, 64, _prepareRows);
        _columns.AsSpan(_size * _dim, (_stride - _size) * _dim).Clear();
        BlockedScoring.Pack(_columns, _size, _dim, _packed);
        runner.For(_size, 6, _scoreRows);
        runner.For(_size, 16, _lossRows);
        double loss = 0;
        for (int r = 0; r < _size; r++)
        {
            loss += RowLoss[r];
        }
        return loss;
    }

    /// <summary>From G: dL/d(user vector) per row and dL/d(item vector) per item of the batch.</summary>
    public void RunItems(ParallelRunner runner)
    {
        runner.For((_size + Tile - 1) / Tile, 1, _transposeColumns);
        // H = G V~: G's rows are [stride] long, V~ packed as panels of [stride, 32] over the dim columns.
        PackColumnsOf(_columns);
        runner.For(_size, 6, _userRows);
        // W = G^T U~, the same product with G^T and U~.
        _userTilde.AsSpan(_size * _dim, (_stride - _size) * _dim).Clear();
        PackColumnsOf(_userTilde);
        _touched.Clear();
        runner.For(_size, 6, _columnRows);
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        for (int c = 0; c < _size; c++)
        {
            if (!_active[c])
            {
                continue;
            }
            int item = _batch.Targets[c];
            Span<float> target = Gradient.AsSpan(item * _dim, _dim);
            if (_touched.Add(item))
            {
                target.Clear();
            }
            ReadOnlySpan<float> w = _product.AsSpan(c * _dimStride, _dim);
            if (_score == ScoreKind.Cosine)
            {
                float inverse = _inverseNorm[c];
                VectorKernels.MultiplyAdd(w, inverse, target);
                VectorKernels.MultiplyAdd(items.Slice(item * _dim, _dim), -(_beta[c] * inverse * inverse), target);
            }
            else
            {
                VectorKernels.MultiplyAdd(w, 1f, target);
            }
        }
        _touched.SortAscending();
    }

    private void PrepareRows(int start, int end)
    {
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        for (int r = start; r < end; r++)
        {
            int d = r * _dim;
            _userNorm[r] = RowKernel.PrepareUser(_score, _users.AsSpan(d, _dim), _dropout ? _batch.Dropout.AsSpan(d, _dim) : default,
                _userTilde.AsSpan(d, _dim));
            ReadOnlySpan<float> e = items.Slice(_batch.Targets[r] * _dim, _dim);
            float inverse = 1f;
            if (_score == ScoreKind.Cosine)
            {
                inverse = 1f / MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares(e)), 1e-12f);
            }
            _inverseNorm[r] = inverse;
            VectorKernels.Multiply(e, inverse, _columns.AsSpan(d, _dim));
        }
    }

    private void ScoreRows(int start, int end) =>
        BlockedScoring.Score(_userTilde.AsSpan(start * _dim), end - start, _dim, _packed, _stride, _scores.AsSpan(start * _stride));

    /// <summary>Row r's slots: its own column, then slot k of the sampler, column (r + 1 + k mod (b - 1)) mod b.</summary>
    private void LossRows(int start, int end)
    {
        int negatives = _slots - 1, others = Math.Max(_size - 1, 1);
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<float> row = _scores.AsSpan(r * _stride, _stride);
            Span<float> scores = _slotScores.AsSpan(r * _slots, _slots), grads = _slotGrads.AsSpan(r * _slots, _slots);
            scores[0] = row[r];
            for (int k = 0; k < negatives; k++)
            {
                scores[1 + k] = row[Column(r, k, others)];
            }
            RowLoss[r] = _loss.Evaluate(scores[0], scores[1..], out float dPositive, grads[1..]);
            Span<float> g = _grad.AsSpan(r * _stride, _stride);
            g.Clear();
            g[r] += dPositive * _rowWeight;
            for (int k = 0; k < negatives; k++)
            {
                g[Column(r, k, others)] += grads[1 + k] * _rowWeight;
            }
        }
    }

    private int Column(int row, int k, int others)
    {
        int other = row + 1 + k % others;
        return other >= _size ? other - _size : other;
    }

    /// <summary>G^T by blocks of 32 columns, and per column the sum_r G_rc S_rc and whether any G_rc is nonzero.</summary>
    private void TransposeColumns(int firstBlock, int endBlock)
    {
        for (int block = firstBlock; block < endBlock; block++)
        {
            int c0 = block * Tile, c1 = Math.Min(c0 + Tile, _size);
            for (int c = c0; c < c1; c++)
            {
                _beta[c] = 0;
                _active[c] = false;
            }
            for (int r = 0; r < _size; r++)
            {
                int o = r * _stride;
                for (int c = c0; c < c1; c++)
                {
                    float g = _grad[o + c];
                    _gradT[c * _stride + r] = g;
                    _beta[c] += g * _scores[o + c];
                    _active[c] |= g != 0;
                }
            }
            for (int c = c0; c < c1; c++)
            {
                _gradT.AsSpan(c * _stride + _size, _stride - _size).Clear();
            }
        }
    }

    /// <summary>Packs a [stride, dim] row-major matrix as panels of [stride, 32] over its (padded) dim columns.</summary>
    private void PackColumnsOf(float[] matrix)
    {
        for (int panel = 0; panel < _dimStride / Tile; panel++)
        {
            int j0 = panel * Tile, width = Math.Min(Tile, _dim - j0);
            Span<float> destination = _packed.AsSpan(panel * _stride * Tile, _stride * Tile);
            for (int r = 0; r < _stride; r++)
            {
                Span<float> to = destination.Slice(r * Tile, Tile);
                matrix.AsSpan(r * _dim + j0, width).CopyTo(to);
                to[width..].Clear();
            }
        }
    }

    private void UserRows(int start, int end)
    {
        BlockedScoring.Score(_grad.AsSpan(start * _stride), end - start, _stride, _packed, _dimStride, _product.AsSpan(start * _dimStride));
        for (int r = start; r < end; r++)
        {
            int d = r * _dim;
            Span<float> gradient = UserGradients.AsSpan(d, _dim);
            _product.AsSpan(r * _dimStride, _dim).CopyTo(gradient);
            RowKernel.FinishUserGradient<float>(_score, _users.AsSpan(d, _dim), _userNorm[r], _dropout ? _batch.Dropout.AsSpan(d, _dim) : default, gradient);
        }
    }

    private void ColumnRows(int start, int end) =>
        BlockedScoring.Score(_gradT.AsSpan(start * _stride), end - start, _stride, _packed, _dimStride, _product.AsSpan(start * _dimStride));

    private static int RoundUp(int count) => (count + Tile - 1) / Tile * Tile;
}
