using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// The rows and item gradients of an in-batch-all step (<see cref="Sampling.InBatchAllSampler"/>) as dense products,
/// in place of <see cref="RowPhase{TLoss}"/> and <see cref="ItemGradientPhase"/>: every row scores the same b columns
/// (the batch's positives), so <c>S = U~ V~^T</c> [b, b] holds every slot's score; the loss turns each row's slots
/// (its own column, then the sampler's order) into <c>G = dL/dS</c> (written over S); then <c>H = G V~</c> gives
/// <c>dL/du~</c> and <c>W^T = U~^T G</c> gives, per column c, <c>dL/de_c = i_c (W_c - (W_c . v~_c) v~_c)</c> with
/// <c>i_c = 1/|e_c|</c>, <c>v~_c = i_c e_c</c> (cosine; dot: <c>W_c</c>). The same gradients as the gathered phases,
/// summed in another order (equal to float rounding, <c>InBatchDensePhaseTests</c>). Each product element sums in one
/// fixed order and columns are added to their items in column order, so results do not depend on the thread count.
/// </summary>
public sealed class InBatchDensePhase<TLoss>
    where TLoss : struct, IRowLoss
{
    /// <summary>The largest batch the dense products take (b^2 floats per buffer; 256 MiB at this size).</summary>
    public const int MaxBatch = 8192;

    private const int Tile = BlockedScoring.ItemTile;
    private readonly TLoss _loss;
    private readonly ScoreKind _score;
    private readonly bool _sumOverBatch;
    private readonly int _dim, _dimStride, _slots;
    private readonly float[] _users, _userTilde, _userTildeT, _userNorm, _columns, _inverseNorm, _packed, _packedGrad, _grad, _product, _wT, _column;
    private readonly bool[] _active;
    private readonly RowSet _touched;
    private readonly Action<int, int> _prepareRows, _scoreRows, _userRows, _packGrad, _columnProducts;
    private readonly Action<int, int, int> _lossRows;
    private float[][] _scratch = [];
    private StepBatch _batch = null!;
    private IEncoder _encoder = null!;
    private bool _dropout;
    private int _size, _stride;
    private float _rowWeight;

    public InBatchDensePhase(TLoss loss, ScoreKind score, int capacity, int slots, int dim, int items)
    {
        if (capacity > MaxBatch)
        {
            throw new ArgumentException($"The dense in-batch products take batches of up to {MaxBatch} rows; got {capacity}.", nameof(capacity));
        }
        _loss = loss;
        _score = score;
        _sumOverBatch = loss.Reduction == BatchReduction.Sum;
        _dim = dim;
        _dimStride = RoundUp(dim);
        _slots = slots;
        int stride = RoundUp(capacity);
        _users = new float[capacity * dim];
        _userTilde = new float[stride * dim];
        _userTildeT = new float[dim * stride];
        _userNorm = new float[capacity];
        _columns = new float[stride * dim];
        _inverseNorm = new float[capacity];
        _packed = new float[stride * _dimStride];
        _packedGrad = new float[stride * stride];
        _grad = new float[capacity * stride];
        _product = new float[capacity * _dimStride];
        _wT = new float[dim * stride];
        _column = new float[dim];
        _active = new bool[stride];
        RowLoss = new float[capacity];
        UserGradients = new float[capacity * dim];
        Gradient = new float[(long)items * dim];
        _touched = new RowSet(items);
        (_prepareRows, _scoreRows, _lossRows, _userRows, _packGrad, _columnProducts) =
            (PrepareRows, ScoreRows, LossRows, UserRows, PackGrad, ColumnProducts);
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
        if (batch.Slots != _slots || batch.Size < 1 || batch.Size > _users.Length / _dim)
        {
            throw new InvalidOperationException($"The dense in-batch phase takes 1 to {_users.Length / _dim} rows of {_slots} slots; the batch has {batch.Size} rows of {batch.Slots}.");
        }
        (_batch, _encoder, _dropout, _size, _stride) = (batch, encoder, dropout, batch.Size, RoundUp(batch.Size));
        _rowWeight = _sumOverBatch ? 1f : 1f / _size;
        userVectors[..(_size * _dim)].CopyTo(_users);
        runner.For(_size, 64, _prepareRows);
        _columns.AsSpan(_size * _dim, (_stride - _size) * _dim).Clear();
        BlockedScoring.Pack(_columns, _size, _dim, _packed);
        runner.For(_size, 6, _scoreRows);
        if (_scratch.Length != 2 * runner.Threads)
        {
            _scratch = [.. Enumerable.Range(0, 2 * runner.Threads).Select(_ => new float[_slots])];
        }
        runner.ForWorkers(_size, 16, _lossRows);
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
        PackColumnsOf(_columns);                       // V~ as panels of [stride, 32] over the dim columns
        runner.For(_size, 6, _userRows);               // H = G V~, then the user Jacobian
        runner.For(_stride / Tile, 1, _packGrad);      // G as panels of [stride, 32] over its columns
        for (int d = 0; d < _dim; d++)
        {
            Span<float> row = _userTildeT.AsSpan(d * _stride, _stride);
            for (int r = 0; r < _size; r++)
            {
                row[r] = _userTilde[r * _dim + d];
            }
            row[_size..].Clear();
        }
        runner.For(_dim, 6, _columnProducts);          // W^T = U~^T G
        _touched.Clear();
        Span<float> w = _column;
        for (int c = 0; c < _size; c++)
        {
            if (!_active[c])
            {
                continue;
            }
            for (int d = 0; d < _dim; d++)
            {
                w[d] = _wT[d * _stride + c];
            }
            int item = _batch.Targets[c];
            Span<float> target = Gradient.AsSpan(item * _dim, _dim);
            if (_touched.Add(item))
            {
                target.Clear();
            }
            if (_score == ScoreKind.Cosine)
            {
                ReadOnlySpan<float> unit = _columns.AsSpan(c * _dim, _dim);
                float inverse = _inverseNorm[c];
                VectorKernels.MultiplyAdd(w, inverse, target);
                VectorKernels.MultiplyAdd(unit, -(VectorKernels.Dot<float>(w, unit) * inverse), target);
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
        BlockedScoring.Score(_userTilde.AsSpan(start * _dim), end - start, _dim, _packed, _stride, _grad.AsSpan(start * _stride));

    /// <summary>Row r's slots: its own column, then the sampler's: columns r + 1, r + 2, ... cycling over the b - 1
    /// other rows (mod b). The row of S is read into the worker's scratch and overwritten with dL/dS.</summary>
    private void LossRows(int start, int end, int worker)
    {
        int negatives = _slots - 1, others = Math.Max(_size - 1, 1);
        float[] scores = _scratch[2 * worker], grads = _scratch[2 * worker + 1];
        for (int r = start; r < end; r++)
        {
            Span<float> row = _grad.AsSpan(r * _stride, _stride);
            scores[0] = row[r];
            for (int k = 0, step = 0; k < negatives; k++, step++)
            {
                step = step == others ? 0 : step;
                int column = r + 1 + step;
                scores[1 + k] = row[column >= _size ? column - _size : column];
            }
            RowLoss[r] = _loss.Evaluate(scores[0], scores.AsSpan(1, negatives), out float dPositive, grads.AsSpan(1, negatives));
            row.Clear();
            row[r] = dPositive * _rowWeight;
            for (int k = 0, step = 0; k < negatives; k++, step++)
            {
                step = step == others ? 0 : step;
                int column = r + 1 + step;
                row[column >= _size ? column - _size : column] += grads[1 + k] * _rowWeight;
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

    /// <summary>Panels of 32 columns of G, [stride, 32] each (rows past b zero), and which columns have any nonzero.</summary>
    private void PackGrad(int firstPanel, int endPanel)
    {
        for (int panel = firstPanel; panel < endPanel; panel++)
        {
            int c0 = panel * Tile;
            Span<float> destination = _packedGrad.AsSpan(panel * _stride * Tile, _stride * Tile);
            Span<bool> active = _active.AsSpan(c0, Tile);
            active.Clear();
            for (int r = 0; r < _size; r++)
            {
                Span<float> to = destination.Slice(r * Tile, Tile);
                _grad.AsSpan(r * _stride + c0, Tile).CopyTo(to);
                for (int j = 0; j < Tile; j++)
                {
                    active[j] |= to[j] != 0;
                }
            }
            destination[(_size * Tile)..].Clear();
        }
    }

    private void ColumnProducts(int start, int end) =>
        BlockedScoring.Score(_userTildeT.AsSpan(start * _stride), end - start, _stride, _packedGrad, _stride, _wT.AsSpan(start * _stride));

    private static int RoundUp(int count) => (count + Tile - 1) / Tile * Tile;
}
