using System.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>
/// The distinct rows of one parameter block that a step reads, in first-seen order until sorted. Membership is one bit
/// per row (5 KiB for 40,000 rows, so it stays in L1 while a step adds tens of thousands of rows); clearing costs the
/// rows added, not the block's size.
/// </summary>
public sealed class RowSet(int rows)
{
    private readonly ulong[] _bits = new ulong[(rows + 63) / 64];
    private int[] _rows = new int[Math.Min(rows, 1024)];

    public int Capacity { get; } = rows;

    public int Count { get; private set; }

    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, Count);

    /// <summary>The backing array; its first <see cref="Count"/> entries are the rows.</summary>
    public int[] Buffer => _rows;

    public void Clear()
    {
        if (Count > _bits.Length / 4)
        {
            Array.Clear(_bits);
        }
        else
        {
            foreach (int row in Rows)
            {
                _bits[row >> 6] = 0;
            }
        }
        Count = 0;
    }

    /// <summary>Adds the row; false when it was already in the set.</summary>
    public bool Add(int row)
    {
        ref ulong word = ref _bits[row >> 6];
        ulong bit = 1UL << row;          // the shift count is taken mod 64
        if ((word & bit) != 0)
        {
            return false;
        }
        word |= bit;
        if (Count == _rows.Length)
        {
            Array.Resize(ref _rows, Math.Min(Capacity, _rows.Length * 2));
        }
        _rows[Count++] = row;
        return true;
    }

    public bool Contains(int row) => (_bits[row >> 6] & (1UL << row)) != 0;

    /// <summary>Puts the rows in ascending order: read off the bits when the set is a large share of the rows
    /// (linear in the words), a sort otherwise.</summary>
    public void SortAscending()
    {
        if (Count * 16L < Capacity)
        {
            _rows.AsSpan(0, Count).Sort();
            return;
        }
        int n = 0;
        for (int w = 0; w < _bits.Length; w++)
        {
            for (ulong bits = _bits[w]; bits != 0; bits &= bits - 1)
            {
                _rows[n++] = (w << 6) + BitOperations.TrailingZeroCount(bits);
            }
        }
    }

    public void AddRange(ReadOnlySpan<int> rows)
    {
        foreach (int row in rows)
        {
            Add(row);
        }
    }
}
