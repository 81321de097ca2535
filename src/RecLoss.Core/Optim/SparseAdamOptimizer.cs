using RecLoss.Core.Encoders;

namespace RecLoss.Core.Optim;

/// <summary>Sparse ("lazy") Adam: only rows with a data gradient take a step; idle rows and their moments stay as they are.</summary>
/// <remarks>
/// The semantics of torch.optim.SparseAdam, plus the L2 term <c>lambda w</c> on the stepped rows only and clipping by
/// the norm of the stepped rows' gradients. It is NOT the reference's dense Adam: idle rows neither decay nor keep
/// moving on their momentum. It skips the catch-up work entirely; docs/PERFORMANCE.md gives its Recall and NDCG beside
/// the faithful optimizer's.
/// </remarks>
public sealed class SparseAdamOptimizer : AdamOptimizer
{
    private const int RowChunk = 256;
    private double[] _rowNorms = new double[1024];
    private SparseGradient? _gradient;
    private int _table, _offset;
    private AdamStepScalars _scalars;
    private readonly Action<int, int> _addL2Rows, _applyRows;

    public SparseAdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
        : base(options, tables, runner)
    {
        _addL2Rows = AddL2Rows;
        _applyRows = ApplyRows;
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
        int total = gradient.Counts.Sum();
        if (_rowNorms.Length < total)
        {
            _rowNorms = new double[Math.Max(total, _rowNorms.Length * 2)];
        }
        _gradient = gradient;
        _offset = 0;
        for (_table = 0; _table < Tables.Length; _table++)
        {
            Runner.For(gradient.Counts[_table], RowChunk, _addL2Rows);
            _offset += gradient.Counts[_table];
        }
        double normSquared = 0;
        for (int p = 0; p < total; p++)
        {
            normSquared += _rowNorms[p];
        }
        _scalars = BeginStep(normSquared);
        for (_table = 0; _table < Tables.Length; _table++)
        {
            Runner.For(gradient.Counts[_table], RowChunk, _applyRows);
        }
        _gradient = null;
    }

    private void AddL2Rows(int start, int end)
    {
        SparseGradient gradient = _gradient!;
        for (int p = start; p < end; p++)
        {
            _rowNorms[_offset + p] = Kernel.AddL2(Tables[_table].Row(gradient.Rows[_table][p]), gradient.Value(_table, p));
        }
    }

    private void ApplyRows(int start, int end)
    {
        SparseGradient gradient = _gradient!;
        int dim = Tables[_table].Dim;
        for (int p = start; p < end; p++)
        {
            int row = gradient.Rows[_table][p];
            Kernel.Apply(Tables[_table].Row(row), FirstMoments[_table].AsSpan(row * dim, dim), SecondMoments[_table].AsSpan(row * dim, dim), gradient.Value(_table, p), _scalars);
        }
    }
}
