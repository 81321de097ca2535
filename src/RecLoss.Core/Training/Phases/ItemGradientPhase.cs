using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// dL/dv_i = sum over the slots holding item i of (a u~ - b v_i), summed in row order; worker w owns the items with
/// i % W == w, so each item's sum has one writer and one order whatever the thread count. Only the items with a
/// nonzero coefficient get a row (cleared at their first one): with margin losses most negatives have none.
/// </summary>
public sealed class ItemGradientPhase
{
    private readonly Action<int, int> _sumOwners;
    private StepBatch _batch = null!;
    private IEncoder _encoder = null!;
    private float[] _tilde = [], _coefA = [], _coefB = [];
    private int _owners;
    private Owners _ownerOf;
    private readonly RowSet[] _touched;          // per owner: its items with a gradient this step
    private int[] _rows = [];
    private int _rowCount;

    public ItemGradientPhase(int items, int dim, int threads)
    {
        Gradient = new float[(long)items * dim];
        _touched = [.. Enumerable.Range(0, threads).Select(_ => new RowSet(items))];
        _sumOwners = SumOwners;
    }

    /// <summary>[items, dim]: valid on the rows of <see cref="Rows"/>.</summary>
    public float[] Gradient { get; }

    /// <summary>The step's items with a gradient, ascending.</summary>
    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, _rowCount);

    public void Run(StepBatch batch, IEncoder encoder, float[] userTilde, float[] coefA, float[] coefB, ParallelRunner runner)
    {
        (_batch, _encoder, _tilde, _coefA, _coefB, _owners) = (batch, encoder, userTilde, coefA, coefB, runner.Threads);
        if (_ownerOf.Count != _owners)
        {
            _ownerOf = new Owners(_owners);
        }
        runner.For(_owners, 1, _sumOwners);
        int count = 0;
        for (int owner = 0; owner < _owners; owner++)
        {
            count += _touched[owner].Count;
        }
        if (_rows.Length < count)
        {
            _rows = new int[Math.Max(count, 2 * _rows.Length)];
        }
        count = 0;
        for (int owner = 0; owner < _owners; owner++)
        {
            _touched[owner].Rows.CopyTo(_rows.AsSpan(count));
            count += _touched[owner].Count;
        }
        _rows.AsSpan(0, count).Sort();
        _rowCount = count;
    }

    private void SumOwners(int first, int end)
    {
        for (int owner = first; owner < end; owner++)
        {
            SumOwner(owner);
        }
    }

    private void SumOwner(int owner)
    {
        int dim = _batch.Dim, slots = _batch.Slots;
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        RowSet touched = _touched[owner];
        touched.Clear();
        int count = _batch.Size * slots;
        for (int p = 0; p < count; p++)
        {
            int i = _batch.Items[p];
            if (_ownerOf.Of(i) != owner || (_coefA[p] == 0 && _coefB[p] == 0))
            {
                continue;
            }
            Span<float> target = Gradient.AsSpan(i * dim, dim);
            if (touched.Add(i))
            {
                target.Clear();
            }
            VectorKernels.MultiplyAdd(_tilde.AsSpan(p / slots * dim, dim), _coefA[p], target);
            if (_coefB[p] != 0)
            {
                VectorKernels.MultiplyAdd(items.Slice(i * dim, dim), -_coefB[p], target);
            }
        }
    }
}
