namespace RecLoss.Core.Encoders;

/// <summary>The distinct rows of one parameter block that a step reads, in first-seen order; reset per step in O(1).</summary>
public sealed class RowSet(int rows)
{
    private readonly int[] _stamp = new int[rows];
    private int[] _rows = new int[Math.Min(rows, 1024)];
    private int _current = 1;

    public int Count { get; private set; }

    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, Count);

    /// <summary>The backing array; its first <see cref="Count"/> entries are the rows.</summary>
    public int[] Buffer => _rows;

    public void Clear()
    {
        Count = 0;
        if (++_current == int.MaxValue)
        {
            Array.Clear(_stamp);
            _current = 1;
        }
    }

    /// <summary>Adds the row; false when it was already in the set.</summary>
    public bool Add(int row)
    {
        if (_stamp[row] == _current)
        {
            return false;
        }
        _stamp[row] = _current;
        if (Count == _rows.Length)
        {
            Array.Resize(ref _rows, Math.Min(_stamp.Length, _rows.Length * 2));
        }
        _rows[Count++] = row;
        return true;
    }

    /// <summary>Puts the rows in ascending order: a scan of the marks when the set is a large share of the rows
    /// (linear), a sort otherwise.</summary>
    public void SortAscending()
    {
        if (Count * 16L < _stamp.Length)
        {
            _rows.AsSpan(0, Count).Sort();
            return;
        }
        int n = 0;
        for (int row = 0; row < _stamp.Length; row++)
        {
            if (_stamp[row] == _current)
            {
                _rows[n++] = row;
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
