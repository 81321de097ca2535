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
        Values = capacities.Select(c => new float[(long)c * dim]).ToArray();
    }

    public int Dim { get; }

    public int TableCount => Counts.Length;

    /// <summary>Rows in use per table.</summary>
    public int[] Counts { get; }

    /// <summary>Per table, [capacity] row indices; the first Counts[t] are in use, each at most once.</summary>
    public int[][] Rows { get; }

    /// <summary>Per table, [capacity, dim] gradient rows matching <see cref="Rows"/>.</summary>
    public float[][] Values { get; }

    public Span<float> Value(int table, int position) => Values[table].AsSpan(position * Dim, Dim);

    public void Clear() => Array.Clear(Counts);
}
