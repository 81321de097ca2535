using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>A named block of trainable parameters, [rows, cols] row-major, with its gradient buffer.</summary>
/// <param name="name">"users", "items", "history", "W", ...</param>
/// <param name="isEmbeddingTable">Embedding tables take the whole-table L2 term and the per-batch L2 on their rows;
/// dense weight matrices (SimpleX's W) take neither, as in the references.</param>
public sealed class ParameterBlock(string name, int rows, int cols, FloatBuffer values, bool isEmbeddingTable)
{
    public string Name { get; } = name;

    public int Rows { get; } = rows;

    public int Cols { get; } = cols;

    public bool IsEmbeddingTable { get; } = isEmbeddingTable;

    /// <summary>[rows, cols], row-major; the encoder reads these in place.</summary>
    public FloatBuffer Values { get; } = values.Length == (long)rows * cols ? values : throw new ArgumentException($"Block {name}: {values.Length} values for {rows} x {cols}.");

    private FloatBuffer? _gradient;

    /// <summary>[rows, cols]: dL/dValues of the current step (allocated on first use: MF's own trainer has none).</summary>
    public FloatBuffer Gradient => _gradient ??= new FloatBuffer((long)Rows * Cols);

    /// <summary>Gradient row (first + r) += coefficient x value row (first + r), once per listed r (the per-batch L2 term).</summary>
    public void AddScaledRows(ReadOnlySpan<int> rows, float coefficient, int firstRow = 0)
    {
        FloatBuffer gradient = Gradient;
        foreach (int r in rows)
        {
            int offset = (firstRow + r) * Cols;
            VectorKernels.MultiplyAdd(Values.AsSpan(offset, Cols), coefficient, gradient.AsSpan(offset, Cols));
        }
    }
}

/// <summary>
/// An interaction encoder (MML paper, Figure 1): it maps its parameters to the final user and item vectors that the
/// loss scores, and maps the gradients of those vectors back onto its parameters. MF is the identity on two tables;
/// SimpleX adds an aggregate of the user's history; LightGCN propagates over the interaction graph.
/// </summary>
/// <remarks>
/// One training step: <see cref="BeginStep"/> with the rows the step reads, then <see cref="UserVectors"/> for the
/// batch's rows and <see cref="ItemVectors"/> for those items, then <see cref="Backward"/> with dL/d(user vector) per row and
/// dL/d(item vector) per item. The trainer adds the L2 terms and steps the parameters with Adam.
/// </remarks>
public interface IEncoder
{
    /// <summary>"mf", "simplex" or "lightgcn".</summary>
    string Name { get; }

    int Dim { get; }

    int UserCount { get; }

    int ItemCount { get; }

    /// <summary>The score the encoder's vectors are compared with (cosine normalises them in the row kernel).</summary>
    ScoreKind Score { get; }

    IReadOnlyList<ParameterBlock> Parameters { get; }

    /// <summary>Work shared by the step's rows (LightGCN propagates the graph here). Only the listed rows of
    /// <see cref="UserVectors"/> and <see cref="ItemVectors"/> may be read afterwards; duplicates are allowed.</summary>
    /// <param name="users">The batch's users.</param>
    /// <param name="items">The items the step scores.</param>
    /// <param name="candidates">Items scored besides (the hard-negative candidates).</param>
    void BeginStep(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<int> candidates, ParallelRunner runner);

    /// <summary>[items, dim]: the items' final vectors for this step (the rows given to <see cref="BeginStep"/>).</summary>
    ReadOnlySpan<float> ItemVectors { get; }

    /// <summary>Writes each row's final user vector; a row is (user, its training target), and an encoder that
    /// aggregates a history leaves the target out of it.</summary>
    /// <param name="output">[rows, dim].</param>
    void UserVectors(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, Span<float> output, ParallelRunner runner);

    /// <summary>Adds dL/dParameters to every block's <see cref="ParameterBlock.Gradient"/>, which the trainer zeroed (so an
    /// encoder may write a block's gradient instead of adding to it).</summary>
    /// <param name="userGradients">[rows, dim]: dL/d(user vector) of each row.</param>
    /// <param name="itemGradients">[items, dim]: dL/d(item vector); the encoder may overwrite it.</param>
    /// <param name="itemRows">The items whose rows of <paramref name="itemGradients"/> hold values; every other row
    /// is stale and stands for a zero gradient.</param>
    void Backward(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, ReadOnlySpan<float> userGradients, float[] itemGradients, ReadOnlySpan<int> itemRows,
        ParallelRunner runner);

    /// <summary>True when a step reads few rows of the embedding blocks (MF, SimpleX), so that dense Adam can defer
    /// the other rows' steps and replay them when read; false when every row is read (LightGCN).</summary>
    bool ReadsFewRows { get; }

    /// <summary>Adds to <paramref name="rows"/>[b] every row of embedding block b that the step reads for these batch
    /// users and slot items (the history a user aggregates included); dense blocks are read whole. Called with the
    /// items that have a gradient, it must also give every row <see cref="Backward"/> can write (the trainer then checks
    /// only those for a nonzero gradient).</summary>
    void CollectRows(ReadOnlySpan<int> users, ReadOnlySpan<int> items, RowSet[] rows);

    /// <summary>Adds <c>coefficient * row</c> to the gradient of the layer-0 row of each listed user and item, once per
    /// occurrence (the per-batch L2 term).</summary>
    void AddRowL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient);

    /// <summary>The immutable model of the current parameters: every user's full-history vector and every item's,
    /// normalised for cosine, for evaluation and serving.</summary>
    FactorModel Export(ParallelRunner runner);
}

/// <summary>An encoder with propagated layers that can put the batch's L2 on every layer (<see cref="L2Placement.BatchLayers"/>).</summary>
public interface ILayerL2Encoder
{
    /// <summary>Adds <c>coefficient/2 sum_k |E_k[n]|^2</c> per occurrence of each user and item to the next backward pass;
    /// the rows must be among those given to <see cref="IEncoder.BeginStep"/> (E_k is computed for those).</summary>
    void SetLayerL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient);
}
