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
    public SparseAdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
        : base(options, tables, runner)
    {
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

    public override bool IdleRowsChange => false;

    public override void Step(SparseGradient gradient) => StepGradientRows(gradient, 0);

    public override bool CanStepWithL2Added => true;

    public override void StepWithL2Added(SparseGradient gradient, ReadOnlySpan<double> rowNormsSquared) =>
        StepGradientRows(gradient, 0, rowNormsSquared);
}
