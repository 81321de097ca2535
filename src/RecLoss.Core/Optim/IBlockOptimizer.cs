using RecLoss.Core.Encoders;
using RecLoss.Core.Models;

namespace RecLoss.Core.Optim;

/// <summary>Dense Adam over an encoder's parameter blocks; implementations differ in when idle rows are stepped.</summary>
public interface IBlockOptimizer
{
    /// <summary>Brings the rows the step will read up to date (empty sets for an optimizer that keeps every row current).</summary>
    void CatchUp(RowSet[] rows);

    /// <summary>One step from the blocks' gradients; <paramref name="rows"/>[b] lists the rows of block b that may hold one.</summary>
    void Step(RowSet[] rows);

    /// <summary>The step size of the steps to come (a plateau schedule lowers it).</summary>
    double LearningRate { get; set; }

    /// <summary>Brings every row up to date, before whole blocks are read.</summary>
    void CatchUpAll();

    /// <summary>The moments and step count, after <see cref="CatchUpAll"/>.</summary>
    OptimizerState Export(int epochs);

    /// <summary>Continues from an exported state (of the same blocks).</summary>
    /// <exception cref="FormatException">The state does not fit these blocks; the message names the array.</exception>
    void Import(OptimizerState state);
}
