using RecLoss.Core.Data;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>The (user, positive) rows of an epoch, in the order the steps take them.</summary>
public sealed class EpochOrder
{
    private readonly InteractionMatrix _train;
    private readonly EpochRows _layout;
    private readonly ulong _seed;
    private readonly int[] _rowUser, _rowItem, _order;
    private readonly int[] _usersWithItems;

    public EpochOrder(InteractionMatrix train, EpochRows layout, ulong seed)
    {
        _train = train;
        _layout = layout;
        _seed = seed;
        _rowUser = new int[train.Count];
        _rowItem = new int[train.Count];
        for (int u = 0, p = 0; u < train.UserCount; u++)
        {
            foreach (int i in train.Row(u))
            {
                _rowUser[p] = u;
                _rowItem[p++] = i;
            }
        }
        _order = new int[train.Count];
        _usersWithItems = Enumerable.Range(0, train.UserCount).Where(u => train.RowLength(u) > 0).ToArray();
    }

    /// <summary>Rows per epoch: the number of train interactions, whichever the layout.</summary>
    public int Rows => _order.Length;

    /// <summary>A shuffle of every interaction, or users drawn uniformly with one positive each (stream (seed, epoch)).</summary>
    public void Shuffle(int epoch)
    {
        var rng = Xoshiro256.ForStream(_seed, 0x5F0FF1E, (ulong)epoch);
        if (_layout == EpochRows.Interactions)
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
        for (int p = 0; p < _order.Length; p++)
        {
            int u = _usersWithItems[rng.NextInt(_usersWithItems.Length)];
            _order[p] = pointers[u] + rng.NextInt(_train.RowLength(u));
        }
    }

    /// <summary>Fills the batch's users and positives from rows [start, start + size) of the order.</summary>
    public void Fill(StepBatch batch, int epoch, int start, int size)
    {
        batch.Epoch = epoch;
        batch.Start = start;
        batch.Size = size;
        for (int r = 0; r < size; r++)
        {
            int row = _order[start + r];
            batch.Users[r] = _rowUser[row];
            batch.Targets[r] = _rowItem[row];
        }
    }
}
