namespace RecLoss.Core.Data;

/// <summary>Implicit feedback as compressed sparse rows: user -> sorted, distinct item indices.</summary>
public sealed class InteractionMatrix
{
    private readonly int[] _rowPtr; // [users + 1]
    private readonly int[] _colIdx; // [interactions], sorted within each row

    /// <summary>Wraps CSR arrays; rows must be sorted and free of duplicates.</summary>
    /// <exception cref="ArgumentException">The arrays are inconsistent.</exception>
    public InteractionMatrix(int userCount, int itemCount, int[] rowPtr, int[] colIdx)
    {
        if (rowPtr.Length != userCount + 1 || rowPtr[0] != 0 || rowPtr[userCount] != colIdx.Length)
        {
            throw new ArgumentException("rowPtr does not describe colIdx.", nameof(rowPtr));
        }
        for (int u = 0; u < userCount; u++)
        {
            for (int p = rowPtr[u]; p < rowPtr[u + 1]; p++)
            {
                int item = colIdx[p];
                if ((uint)item >= (uint)itemCount || (p > rowPtr[u] && colIdx[p - 1] >= item))
                {
                    throw new ArgumentException($"Row {u} is not sorted, distinct and within [0, {itemCount}).", nameof(colIdx));
                }
            }
        }
        UserCount = userCount;
        ItemCount = itemCount;
        _rowPtr = rowPtr;
        _colIdx = colIdx;
    }

    public int UserCount { get; }

    public int ItemCount { get; }

    /// <summary>Number of (user, item) pairs.</summary>
    public int Count => _colIdx.Length;

    public ReadOnlySpan<int> RowPointers => _rowPtr;

    public ReadOnlySpan<int> ColumnIndices => _colIdx;

    /// <summary>The sorted items of one user.</summary>
    public ReadOnlySpan<int> Row(int userIndex) => _colIdx.AsSpan(_rowPtr[userIndex], _rowPtr[userIndex + 1] - _rowPtr[userIndex]);

    public int RowLength(int userIndex) => _rowPtr[userIndex + 1] - _rowPtr[userIndex];

    /// <summary>True when the user interacted with the item (binary search of the sorted row).</summary>
    public bool Contains(int userIndex, int itemIndex) => Row(userIndex).BinarySearch(itemIndex) >= 0;

    /// <summary>Interaction count per item.</summary>
    public int[] ItemCounts()
    {
        var counts = new int[ItemCount];
        foreach (int item in _colIdx)
        {
            counts[item]++;
        }
        return counts;
    }

    /// <summary>Builds a matrix from unsorted pairs; duplicate pairs are merged and counted.</summary>
    public static InteractionMatrix FromPairs(int userCount, int itemCount, ReadOnlySpan<int> users, ReadOnlySpan<int> items, out int duplicatePairs)
    {
        var rowPtr = new int[userCount + 1];
        foreach (int u in users)
        {
            rowPtr[u + 1]++;
        }
        for (int u = 0; u < userCount; u++)
        {
            rowPtr[u + 1] += rowPtr[u];
        }
        var colIdx = new int[users.Length];
        var fill = rowPtr[..^1].ToArray();
        for (int p = 0; p < users.Length; p++)
        {
            colIdx[fill[users[p]]++] = items[p];
        }
        duplicatePairs = 0;
        var compactPtr = new int[userCount + 1];
        int write = 0;
        for (int u = 0; u < userCount; u++)
        {
            Span<int> row = colIdx.AsSpan(rowPtr[u], rowPtr[u + 1] - rowPtr[u]);
            row.Sort();
            for (int k = 0; k < row.Length; k++)
            {
                if (k > 0 && row[k] == row[k - 1])
                {
                    duplicatePairs++;
                    continue;
                }
                colIdx[write++] = row[k];
            }
            compactPtr[u + 1] = write;
        }
        Array.Resize(ref colIdx, write);
        return new InteractionMatrix(userCount, itemCount, compactPtr, colIdx);
    }

    /// <summary>Number of pairs present in both matrices.</summary>
    public int OverlapCount(InteractionMatrix other)
    {
        int overlap = 0;
        int users = Math.Min(UserCount, other.UserCount);
        for (int u = 0; u < users; u++)
        {
            ReadOnlySpan<int> a = Row(u), b = other.Row(u);
            int i = 0, j = 0;
            while (i < a.Length && j < b.Length)
            {
                if (a[i] == b[j]) { overlap++; i++; j++; }
                else if (a[i] < b[j]) { i++; }
                else { j++; }
            }
        }
        return overlap;
    }

    /// <summary>Union of two matrices over the same id space (used to mask train and validation at test time).</summary>
    public InteractionMatrix Union(InteractionMatrix other)
    {
        if (other.UserCount != UserCount || other.ItemCount != ItemCount)
        {
            throw new ArgumentException("Union needs matrices over the same id space.");
        }
        var rowPtr = new int[UserCount + 1];
        var colIdx = new List<int>(Count + other.Count);
        for (int u = 0; u < UserCount; u++)
        {
            ReadOnlySpan<int> a = Row(u), b = other.Row(u);
            int i = 0, j = 0;
            while (i < a.Length || j < b.Length)
            {
                if (j >= b.Length || (i < a.Length && a[i] < b[j])) { colIdx.Add(a[i++]); }
                else if (i >= a.Length || b[j] < a[i]) { colIdx.Add(b[j++]); }
                else { colIdx.Add(a[i]); i++; j++; }
            }
            rowPtr[u + 1] = colIdx.Count;
        }
        return new InteractionMatrix(UserCount, ItemCount, rowPtr, colIdx.ToArray());
    }
}
