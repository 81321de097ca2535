using RecLoss.Core.Encoders;

namespace RecLoss.Core.Optim;

/// <summary>Dense Adam over an encoder's parameter blocks; implementations differ in when idle rows are stepped.</summary>
public interface IBlockOptimizer
{
    /// <summary>Brings the rows the step will read up to date (empty sets for an optimizer that keeps every row current).</summary>
    void CatchUp(RowSet[] rows);

    /// <summary>One step from the blocks' gradients; <paramref name="rows"/>[b] lists the rows of block b that may hold one.</summary>
    void Step(RowSet[] rows);

    /// <summary>Brings every row up to date, before whole blocks are read.</summary>
    void CatchUpAll();
}
