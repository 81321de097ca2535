using RecLoss.Core.Encoders;
using RecLoss.Core.Models;
using RecLoss.Numerics;

namespace RecLoss.Core.Optim;

/// <summary>
/// Dense Adam over an encoder's blocks with idle rows deferred: the embedding blocks go to a
/// <see cref="ReplayAdamOptimizer"/> (a row read by a step is first caught up; rows with no gradient replay their
/// missed steps later), the dense weight blocks (SimpleX's W) take every step with the same scalars. Bit for bit the
/// arithmetic of <see cref="BlockAdam"/> while clipping does not bind; when it binds, idle rows enter the global norm
/// from their last full catch-up (see <see cref="ReplayAdamOptimizer"/>).
/// </summary>
public sealed class ReplayBlockAdam : IBlockOptimizer
{
    private readonly IReadOnlyList<ParameterBlock> _blocks;
    private readonly int[] _tableOf;             // block -> replay table, or -1 for a dense block
    private readonly ReplayAdamOptimizer _replay;
    private readonly SparseGradient _gradient;
    private readonly AdamKernel _dense;          // lambda 0: dense blocks take no L2, as in the references
    private readonly FloatBuffer[] _m, _v;           // dense blocks' moments
    private readonly ParallelRunner _runner;
    private readonly Action<int, int> _catchUpChunk;
    private int _catchUpTable;
    private int[] _catchUpRows = [];
    private const int CatchUpRowsPerChunk = 256;

    /// <param name="l2OnTables">False for <see cref="L2Placement.Batch"/>: the trainer adds the batch's L2 to the
    /// gradients, and idle rows replay momentum-only steps.</param>
    public ReplayBlockAdam(AdamOptions options, IReadOnlyList<ParameterBlock> blocks, bool l2OnTables, ParallelRunner runner)
    {
        _blocks = blocks;
        _tableOf = new int[blocks.Count];
        var tables = new List<EmbeddingTable>();
        for (int b = 0; b < blocks.Count; b++)
        {
            _tableOf[b] = blocks[b].IsEmbeddingTable ? tables.Count : -1;
            if (blocks[b].IsEmbeddingTable)
            {
                tables.Add(new EmbeddingTable(blocks[b].Rows, blocks[b].Cols, blocks[b].Values));
            }
        }
        int dim = tables.Count > 0 ? tables[0].Dim : 1;
        if (tables.Any(t => t.Dim != dim))
        {
            throw new ArgumentException("Every embedding block must have the same width.", nameof(blocks));
        }
        AdamOptions replayOptions = l2OnTables ? options : WithoutL2(options);
        _replay = new ReplayAdamOptimizer(replayOptions, [.. tables], runner)
        {
            TableNames = [.. blocks.Where(b => b.IsEmbeddingTable).Select(b => b.Name)],
        };
        _gradient = SparseGradient.OverDenseArrays(dim, [.. blocks.Where(b => b.IsEmbeddingTable).Select(b => b.Gradient)]);
        _dense = new AdamKernel(WithoutL2(options));
        _m = blocks.Select(b => b.IsEmbeddingTable ? new FloatBuffer(0) : new FloatBuffer(b.Values.Length)).ToArray();
        _v = blocks.Select(b => b.IsEmbeddingTable ? new FloatBuffer(0) : new FloatBuffer(b.Values.Length)).ToArray();
        _runner = runner;
        _catchUpChunk = CatchUpChunk;
    }

    private static AdamOptions WithoutL2(AdamOptions o) =>
        new() { LearningRate = o.LearningRate, Beta1 = o.Beta1, Beta2 = o.Beta2, Epsilon = o.Epsilon, L2 = 0, ClipNorm = o.ClipNorm };

    public void CatchUp(RowSet[] rows)
    {
        for (int b = 0; b < _blocks.Count; b++)
        {
            if (_tableOf[b] >= 0)
            {
                (_catchUpTable, _catchUpRows) = (_tableOf[b], rows[b].Buffer);
                _runner.For(rows[b].Count, CatchUpRowsPerChunk, _catchUpChunk);
            }
        }
    }

    /// <summary>One chunk of rows on one worker, with the rows ahead prefetched (they come from anywhere in the table).</summary>
    private void CatchUpChunk(int start, int end) => _replay.CatchUpSerial(_catchUpTable, _catchUpRows.AsSpan(start, end - start));

    public void Step(RowSet[] rows)
    {
        double denseNormSquared = 0;
        for (int b = 0; b < _blocks.Count; b++)
        {
            ParameterBlock block = _blocks[b];
            int t = _tableOf[b];
            if (t < 0)
            {
                for (int r = 0; r < block.Rows; r++)
                {
                    denseNormSquared += _dense.AddL2(block.Values.AsSpan(r * block.Cols, block.Cols), block.Gradient.AsSpan(r * block.Cols, block.Cols));
                }
                continue;
            }
            _gradient.Rows[t] = rows[b].Buffer;
            _gradient.Counts[t] = rows[b].Count;
        }
        AdamStepScalars scalars = _replay.Step(_gradient, denseNormSquared);
        for (int b = 0; b < _blocks.Count; b++)
        {
            if (_tableOf[b] >= 0)
            {
                continue;
            }
            ParameterBlock block = _blocks[b];
            for (int r = 0; r < block.Rows; r++)
            {
                int o = r * block.Cols;
                _dense.Apply(block.Values.AsSpan(o, block.Cols), _m[b].AsSpan(o, block.Cols), _v[b].AsSpan(o, block.Cols), block.Gradient.AsSpan(o, block.Cols), scalars);
            }
        }
    }

    public void CatchUpAll() => _replay.CatchUpAll();

    /// <summary>The replay's rate; the dense blocks take the scalars of its steps.</summary>
    public double LearningRate { get => _replay.LearningRate; set => _replay.LearningRate = value; }

    /// <summary>The replay's tables and the dense blocks' moments under their block names, and the step count.</summary>
    public OptimizerState Export(int epochs)
    {
        OptimizerState tables = _replay.Export(epochs);
        var arrays = new Dictionary<string, Array>(tables.Arrays, StringComparer.Ordinal);
        for (int b = 0; b < _blocks.Count; b++)
        {
            if (_tableOf[b] < 0)
            {
                arrays[$"m/{_blocks[b].Name}"] = _m[b].ToArray();
                arrays[$"v/{_blocks[b].Name}"] = _v[b].ToArray();
            }
        }
        return new OptimizerState(epochs, tables.Steps, arrays);
    }

    public void Import(OptimizerState state)
    {
        for (int b = 0; b < _blocks.Count; b++)
        {
            if (_tableOf[b] < 0)
            {
                AdamOptimizer.Restore(state, $"m/{_blocks[b].Name}", _m[b]);
                AdamOptimizer.Restore(state, $"v/{_blocks[b].Name}", _v[b]);
            }
        }
        _replay.Import(state);
    }
}
