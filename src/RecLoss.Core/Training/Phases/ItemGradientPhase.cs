using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// dL/dv_i = sum over the slots holding item i of (a u~ - b v_i), summed in row order; worker w owns the items with
/// i % W == w, so each item's sum has one writer and one order whatever the thread count.
/// </summary>
public sealed class ItemGradientPhase
{
    private readonly Action<int, int> _sumOwners;
    private StepBatch _batch = null!;
    private IEncoder _encoder = null!;
    private float[] _tilde = [], _coefA = [], _coefB = [];
    private int _owners;

    public ItemGradientPhase(int items, int dim)
    {
        Gradient = new float[(long)items * dim];
        SlotItems = new RowSet(items);
        _sumOwners = SumOwners;
    }

    /// <summary>[items, dim]: valid on the rows of <see cref="SlotItems"/>.</summary>
    public float[] Gradient { get; }

    /// <summary>The step's distinct slot items.</summary>
    public RowSet SlotItems { get; }

    public void Run(StepBatch batch, IEncoder encoder, float[] userTilde, float[] coefA, float[] coefB, ParallelRunner runner)
    {
        (_batch, _encoder, _tilde, _coefA, _coefB, _owners) = (batch, encoder, userTilde, coefA, coefB, runner.Threads);
        SlotItems.Clear();
        SlotItems.AddRange(batch.ActiveItems);
        runner.For(_owners, 1, _sumOwners);
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
        foreach (int i in SlotItems.Rows)
        {
            if (i % _owners == owner)
            {
                Gradient.AsSpan(i * dim, dim).Clear();
            }
        }
        int count = _batch.Size * slots;
        for (int p = 0; p < count; p++)
        {
            int i = _batch.Items[p];
            if (i % _owners != owner || (_coefA[p] == 0 && _coefB[p] == 0))
            {
                continue;
            }
            Span<float> target = Gradient.AsSpan(i * dim, dim);
            VectorKernels.MultiplyAdd(_tilde.AsSpan(p / slots * dim, dim), _coefA[p], target);
            if (_coefB[p] != 0)
            {
                VectorKernels.MultiplyAdd(items.Slice(i * dim, dim), -_coefB[p], target);
            }
        }
    }
}
