using RecLoss.Core.Encoders;
using RecLoss.Numerics;

namespace RecLoss.Core.Optim;

/// <summary>Dense Adam computed lazily: a row without a data gradient is left alone and its steps replayed later.</summary>
/// <remarks>
/// A row with no data gradient at step s changes only through <c>G = 0 + lambda w</c>, its own moments and the step's
/// scalars (clip factor, bias corrections), all recorded. Replaying those steps in registers when the row is next read
/// does the same arithmetic as <see cref="DenseAdamOptimizer"/> without streaming the tables through memory.
/// The one difference is the global norm for clipping: idle rows enter it through <c>lambda^2 |W_idle|^2</c> taken
/// from the last full catch-up (start, or before each evaluation) instead of the current step. At the reference
/// lambda = 1e-9 that term is below 1e-15 of the data term; with clipping off or not triggered the two optimizers
/// agree bit for bit (see the tests).
/// </remarks>
public sealed class ReplayAdamOptimizer : AdamOptimizer
{
    private const int RowChunk = 256;

    private readonly int[][] _lastStep;   // per table, [rows]: the last step applied to the row
    private double _idleNormSquared;      // sum over all rows of |0 + lambda w|^2 at the last full catch-up

    public ReplayAdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
        : base(options, tables, runner)
    {
        _lastStep = tables.Select(t => new int[t.Rows]).ToArray();
        _idleNormSquared = IdleNormSquared();

    }

    public override void CatchUp(int table, int[] rows, int count)
    {
        Runner.For(count, RowChunk, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                CatchUpRow(table, rows[p]);
            }
        });
    }

    public override void CatchUpSerial(int table, ReadOnlySpan<int> rows)
    {
        // Rows come in data-dependent order: ask for w, m and v of a row a few places ahead.
        const int PrefetchDistance = 4;
        int dim = Tables[table].Dim;
        for (int p = 0; p < rows.Length; p++)
        {
            if (p + PrefetchDistance < rows.Length)
            {
                int ahead = rows[p + PrefetchDistance] * dim;
                Prefetch.Row<float>(Tables[table].Weights, ahead, dim);
                Prefetch.Row<float>(FirstMoments[table], ahead, dim);
                Prefetch.Row<float>(SecondMoments[table], ahead, dim);
            }
            CatchUpRow(table, rows[p]);
        }
    }

    public override void CatchUpAll()
    {
        for (int t = 0; t < Tables.Length; t++)
        {
            int table = t;
            Runner.For(Tables[t].Rows, RowChunk, (start, end) =>
            {
                for (int r = start; r < end; r++)
                {
                    CatchUpRow(table, r);
                }
            });
        }
        _idleNormSquared = IdleNormSquared();
    }

    /// <summary>sum over all rows of |0 + lambda w|^2, reduced in row order.</summary>
    private double IdleNormSquared()
    {
        double total = 0;
        foreach (EmbeddingTable table in Tables)
        {
            for (int r = 0; r < table.Rows; r++)
            {
                total += Kernel.IdleNormSquared(table.Row(r));
            }
        }
        return total;
    }

    private void CatchUpRow(int table, int row)
    {
        int last = _lastStep[table][row];
        if (last == StepCount)
        {
            return;
        }
        int dim = Tables[table].Dim;
        Kernel.Replay(Tables[table].Row(row), FirstMoments[table].AsSpan(row * dim, dim), SecondMoments[table].AsSpan(row * dim, dim), Steps(last + 1, StepCount));
        _lastStep[table][row] = StepCount;
    }

    public override void Step(SparseGradient gradient) => StepGradientRows(gradient, _idleNormSquared);

    /// <summary>A step whose global norm also counts <paramref name="extraNormSquared"/> (parameters stepped by the
    /// caller, such as a dense weight matrix); returns the scalars the caller applies to them.</summary>
    public AdamStepScalars Step(SparseGradient gradient, double extraNormSquared) => StepGradientRows(gradient, _idleNormSquared + extraNormSquared);

    public override bool CanStepWithL2Added => true;

    public override void StepWithL2Added(SparseGradient gradient, ReadOnlySpan<double> rowNormsSquared) =>
        StepGradientRows(gradient, _idleNormSquared, rowNormsSquared);

    protected override void BeforeRowStep(int table, int row, int stepsTaken)
    {
        if (_lastStep[table][row] != stepsTaken)
        {
            throw new InvalidOperationException($"Row {row} of table {table} was not caught up before the step.");
        }
    }

    protected override void AfterRowStep(int table, int row) => _lastStep[table][row] = StepCount;

    protected override void AfterImport()
    {
        foreach (int[] last in _lastStep)
        {
            Array.Fill(last, StepCount);
        }
        _idleNormSquared = IdleNormSquared();
    }
}
