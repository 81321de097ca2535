using RecLoss.Numerics;

namespace RecLoss.Core.Optim;

/// <summary>The data gradient of one step: for each table, the rows that received one and their values.</summary>
/// <remarks>Buffers are allocated once for the largest batch and reused at every step.</remarks>
public sealed class SparseGradient
{
    public SparseGradient(int dim, params int[] capacities)
    {
        Dim = dim;
        Counts = new int[capacities.Length];
        Rows = capacities.Select(c => new int[c]).ToArray();
        Values = capacities.Select(c => new FloatBuffer((long)c * dim)).ToArray();
    }

    public int Dim { get; }

    public int TableCount => Counts.Length;

    /// <summary>Rows in use per table.</summary>
    public int[] Counts { get; }

    /// <summary>Per table, [capacity] row indices; the first Counts[t] are in use, each at most once.</summary>
    public int[][] Rows { get; }

    /// <summary>Per table, [capacity, dim] gradient rows matching <see cref="Rows"/>.</summary>
    public FloatBuffer[] Values { get; }

    /// <summary>A gradient over whole [rows, dim] arrays: row <c>Rows[t][p]</c>'s value is read in place at its own
    /// offset, so a caller with dense gradient arrays lists rows without copying them.</summary>
    public static SparseGradient OverDenseArrays(int dim, FloatBuffer[] denseValues)
    {
        var gradient = new SparseGradient(dim, new int[denseValues.Length]) { RowIndexed = true };
        for (int t = 0; t < denseValues.Length; t++)
        {
            gradient.Values[t] = denseValues[t];
        }
        return gradient;
    }

    /// <summary>Values are indexed by row (<see cref="OverDenseArrays"/>) rather than by position in the list.</summary>
    public bool RowIndexed { get; private init; }

    public Span<float> Value(int table, int position) =>
        Values[table].AsSpan((RowIndexed ? Rows[table][position] : position) * Dim, Dim);

    public void Clear() => Array.Clear(Counts);
}
