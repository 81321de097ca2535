using RecLoss.Core.Encoders;

namespace RecLoss.Core.Optim;

/// <summary>The plain dense loop: every row of every table is read and written at every step.</summary>
/// <remarks>
/// What PyTorch's Adam does on dense embedding tables. Memory traffic per step is the whole of both tables and both
/// moments, so it is slow; it is kept as the oracle that <see cref="ReplayAdamOptimizer"/> is tested against.
/// </remarks>
public sealed class DenseAdamOptimizer : AdamOptimizer
{
    private readonly float[][] _gradients;

    public DenseAdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
        : base(options, tables, runner)
    {
        _gradients = tables.Select(t => new float[t.Weights.Length]).ToArray();
    }

    public override void CatchUp(int table, int[] rows, int count)
    {
    }

    public override void CatchUpSerial(int table, ReadOnlySpan<int> rows)
    {
    }

    public override void CatchUpAll()
    {
    }

    public override void Step(SparseGradient gradient)
    {
        double normSquared = 0;
        for (int t = 0; t < Tables.Length; t++)
        {
            EmbeddingTable table = Tables[t];
            float[] dense = _gradients[t];
            Array.Clear(dense);
            for (int p = 0; p < gradient.Counts[t]; p++)
            {
                gradient.Value(t, p).CopyTo(dense.AsSpan(gradient.Rows[t][p] * table.Dim, table.Dim));
            }
            for (int r = 0; r < table.Rows; r++)
            {
                normSquared += Kernel.AddL2(table.Row(r), dense.AsSpan(r * table.Dim, table.Dim));
            }
        }
        AdamStepScalars scalars = BeginStep(normSquared);
        for (int t = 0; t < Tables.Length; t++)
        {
            EmbeddingTable table = Tables[t];
            int dim = table.Dim;
            for (int r = 0; r < table.Rows; r++)
            {
                Kernel.Apply(table.Row(r), FirstMoments[t].AsSpan(r * dim, dim), SecondMoments[t].AsSpan(r * dim, dim),
                    _gradients[t].AsSpan(r * dim, dim), scalars);
            }
        }
    }
}
