using RecLoss.Core.Encoders;

namespace RecLoss.Core.Optim;

/// <summary>Dense Adam computed lazily: a row without a data gradient is left alone and its steps replayed later.</summary>
/// <remarks>
/// A row with no data gradient at step s changes only through <c>G = 0 + lambda w</c>, its own moments and the step's
/// scalars (clip factor, bias corrections), all recorded. Replaying those steps in registers when the row is next read
/// does the same arithmetic as <see cref="DenseAdamOptimizer"/> without streaming the tables through memory.
/// The one difference is the global norm for clipping: idle rows enter it through <c>lambda^2 |w|^2</c> as of their
/// last update rather than of this step. That term is about 1e-16 of the data term at the reference lambda; when
/// clipping is off or not triggered the two optimizers agree bit for bit (see the tests).
/// </remarks>
public sealed class ReplayAdamOptimizer : AdamOptimizer
{
    private const int RowChunk = 256;

    private readonly int[][] _lastStep;       // per table, [rows]: the last step applied to the row
    private readonly double[][] _idleNorm;    // per table, [rows]: |0 + lambda w|^2 when last updated
    private readonly double[] _idleTotal;     // per table: sum of _idleNorm
    private double[] _rowNorms = new double[1024];

    public ReplayAdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
        : base(options, tables, runner)
    {
        _lastStep = tables.Select(t => new int[t.Rows]).ToArray();
        _idleNorm = new double[tables.Length][];
        _idleTotal = new double[tables.Length];
        for (int t = 0; t < tables.Length; t++)
        {
            _idleNorm[t] = new double[tables[t].Rows];
            for (int r = 0; r < tables[t].Rows; r++)
            {
                _idleNorm[t][r] = Kernel.IdleNormSquared(tables[t].Row(r));
                _idleTotal[t] += _idleNorm[t][r];
            }
        }
    }

    public override void CatchUp(int table, int[] rows, int count)
    {
        EnsureNorms(count);
        Runner.For(count, RowChunk, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                _rowNorms[p] = CatchUpRow(table, rows[p]);
            }
        });
        // Fixed-order reduction of the idle-norm changes.
        for (int p = 0; p < count; p++)
        {
            _idleTotal[table] += _rowNorms[p];
        }
    }

    public override void CatchUpAll()
    {
        for (int t = 0; t < Tables.Length; t++)
        {
            int table = t;
            int rows = Tables[t].Rows;
            EnsureNorms(rows);
            Runner.For(rows, RowChunk, (start, end) =>
            {
                for (int r = start; r < end; r++)
                {
                    _rowNorms[r] = CatchUpRow(table, r);
                }
            });
            for (int r = 0; r < rows; r++)
            {
                _idleTotal[t] += _rowNorms[r];
            }
        }
    }

    /// <summary>Replays the row's missed steps; returns the change of its idle norm.</summary>
    private double CatchUpRow(int table, int row)
    {
        int last = _lastStep[table][row];
        if (last == StepCount)
        {
            return 0;
        }
        int dim = Tables[table].Dim;
        Span<float> w = Tables[table].Row(row);
        Kernel.Replay(w, FirstMoments[table].AsSpan(row * dim, dim), SecondMoments[table].AsSpan(row * dim, dim), Steps(last + 1, StepCount));
        _lastStep[table][row] = StepCount;
        double idle = Kernel.IdleNormSquared(w);
        double change = idle - _idleNorm[table][row];
        _idleNorm[table][row] = idle;
        return change;
    }

    public override void Step(SparseGradient gradient)
    {
        int total = gradient.Counts.Sum();
        EnsureNorms(total);
        // G = data + lambda w for the rows with a data gradient; they must be current.
        int offset = 0;
        for (int t = 0; t < Tables.Length; t++)
        {
            int table = t, baseIndex = offset;
            Runner.For(gradient.Counts[t], RowChunk, (start, end) =>
            {
                for (int p = start; p < end; p++)
                {
                    int row = gradient.Rows[table][p];
                    if (_lastStep[table][row] != StepCount)
                    {
                        throw new InvalidOperationException($"Row {row} of table {table} was not caught up before the step.");
                    }
                    _rowNorms[baseIndex + p] = Kernel.AddL2(Tables[table].Row(row), gradient.Value(table, p));
                }
            });
            offset += gradient.Counts[t];
        }
        double normSquared = 0;
        offset = 0;
        for (int t = 0; t < Tables.Length; t++)
        {
            double idle = _idleTotal[t];
            for (int p = 0; p < gradient.Counts[t]; p++)
            {
                normSquared += _rowNorms[offset + p];
                idle -= _idleNorm[t][gradient.Rows[t][p]];
            }
            normSquared += Math.Max(idle, 0);
            offset += gradient.Counts[t];
        }
        AdamStepScalars scalars = BeginStep(normSquared);
        offset = 0;
        for (int t = 0; t < Tables.Length; t++)
        {
            int table = t, baseIndex = offset, dim = Tables[t].Dim;
            Runner.For(gradient.Counts[t], RowChunk, (start, end) =>
            {
                for (int p = start; p < end; p++)
                {
                    int row = gradient.Rows[table][p];
                    Span<float> w = Tables[table].Row(row);
                    Kernel.Apply(w, FirstMoments[table].AsSpan(row * dim, dim), SecondMoments[table].AsSpan(row * dim, dim), gradient.Value(table, p), scalars);
                    _lastStep[table][row] = StepCount;
                    double idle = Kernel.IdleNormSquared(w);
                    _rowNorms[baseIndex + p] = idle - _idleNorm[table][row];
                    _idleNorm[table][row] = idle;
                }
            });
            for (int p = 0; p < gradient.Counts[t]; p++)
            {
                _idleTotal[t] += _rowNorms[offset + p];
            }
            offset += gradient.Counts[t];
        }
    }

    private void EnsureNorms(int count)
    {
        if (_rowNorms.Length < count)
        {
            _rowNorms = new double[Math.Max(count, _rowNorms.Length * 2)];
        }
    }
}
