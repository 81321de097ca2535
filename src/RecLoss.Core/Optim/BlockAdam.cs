using RecLoss.Core.Encoders;
using RecLoss.Core.Models;
using RecLoss.Numerics;

namespace RecLoss.Core.Optim;

/// <summary>Where the L2 term of the loss goes.</summary>
public enum L2Placement
{
    /// <summary><c>(lambda/2)||W||^2</c> over every whole embedding table at every step (the MF and SimpleX references).</summary>
    Tables,

    /// <summary><c>lambda/2 (|u0|^2 + |p0|^2 + |n0|^2) / B</c> over the batch's rows of the embedding tables (LightGCN's reference).</summary>
    Batch,

    /// <summary><c>lambda/2 sum_k (|u_k|^2 + |p_k|^2 + |n_k|^2) / B</c> over every propagated layer k of the batch's
    /// rows (the BSL code's LightGCN; in-batch negatives are the batch's positives and count once, as positives).</summary>
    BatchLayers,
}

/// <summary>
/// Dense Adam over an encoder's parameter blocks: every element of every block takes every step, with clipping at the
/// global gradient norm. The element update is <see cref="AdamKernel"/>'s, the one <see cref="DenseAdamOptimizer"/>
/// uses; with <see cref="L2Placement.Tables"/> the embedding blocks add <c>lambda w</c> to their gradient first.
/// </summary>
public sealed class BlockAdam : IBlockOptimizer
{
    private const int RowChunk = 64;

    private readonly IReadOnlyList<ParameterBlock> _blocks;
    private readonly AdamOptions _options;
    private readonly AdamKernel _withL2, _withoutL2;
    private readonly bool _l2OnTables;
    private readonly FloatBuffer[] _m, _v;
    private readonly double[][] _partial;      // [block][chunk]: sum of G^2, reduced in chunk order
    private readonly ParallelRunner _runner;
    private readonly Action<int, int> _addL2, _apply;
    private int _block;
    private AdamStepScalars _scalars;

    public BlockAdam(AdamOptions options, IReadOnlyList<ParameterBlock> blocks, L2Placement placement, ParallelRunner runner)
    {
        options.Validate();
        _options = options;
        LearningRate = options.LearningRate;
        _blocks = blocks;
        _withL2 = new AdamKernel(options);
        _withoutL2 = new AdamKernel(new AdamOptions { LearningRate = options.LearningRate, Beta1 = options.Beta1, Beta2 = options.Beta2, Epsilon = options.Epsilon, L2 = 0, ClipNorm = options.ClipNorm });
        _l2OnTables = placement == L2Placement.Tables;
        _m = blocks.Select(b => new FloatBuffer(b.Values.Length)).ToArray();
        _v = blocks.Select(b => new FloatBuffer(b.Values.Length)).ToArray();
        _partial = blocks.Select(b => new double[(b.Rows + RowChunk - 1) / RowChunk]).ToArray();
        _runner = runner;
        _addL2 = AddL2Rows;
        _apply = ApplyRows;
    }

    public int StepCount { get; private set; }

    public double LearningRate { get; set; }

    public void CatchUp(RowSet[] rows)
    {
    }

    public void CatchUpAll()
    {
    }

    /// <summary>"m/NAME" and "v/NAME" per block, and the step count.</summary>
    public OptimizerState Export(int epochs)
    {
        var arrays = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (int b = 0; b < _blocks.Count; b++)
        {
            arrays[$"m/{_blocks[b].Name}"] = _m[b].ToArray();
            arrays[$"v/{_blocks[b].Name}"] = _v[b].ToArray();
        }
        return new OptimizerState(epochs, StepCount, arrays);
    }

    public void Import(OptimizerState state)
    {
        for (int b = 0; b < _blocks.Count; b++)
        {
            AdamOptimizer.Restore(state, $"m/{_blocks[b].Name}", _m[b]);
            AdamOptimizer.Restore(state, $"v/{_blocks[b].Name}", _v[b]);
        }
        StepCount = state.Steps is >= 0 and < int.MaxValue ? (int)state.Steps : throw new FormatException($"optimizer step count {state.Steps} is out of range");
    }

    /// <summary>One step from the blocks' gradients (data, plus batch L2 if the trainer added it), every row of every
    /// block; <paramref name="rows"/> is not needed. The gradients are consumed.</summary>
    public void Step(RowSet[] rows)
    {
        double normSquared = 0;
        for (_block = 0; _block < _blocks.Count; _block++)
        {
            _runner.For(_blocks[_block].Rows, RowChunk, _addL2);
            foreach (double part in _partial[_block])
            {
                normSquared += part;
            }
        }
        int t = ++StepCount;
        double clip = _options.ClipNorm > 0 ? Math.Min(1.0, _options.ClipNorm / (Math.Sqrt(normSquared) + 1e-6)) : 1;
        _scalars = new AdamStepScalars((float)clip, (float)(LearningRate / (1 - Math.Pow(_options.Beta1, t))),
            (float)(1 / Math.Sqrt(1 - Math.Pow(_options.Beta2, t))));
        for (_block = 0; _block < _blocks.Count; _block++)
        {
            _runner.For(_blocks[_block].Rows, RowChunk, _apply);
        }
    }

    private AdamKernel KernelOf(ParameterBlock block) => _l2OnTables && block.IsEmbeddingTable ? _withL2 : _withoutL2;

    private void AddL2Rows(int start, int end)
    {
        ParameterBlock block = _blocks[_block];
        AdamKernel kernel = KernelOf(block);
        int cols = block.Cols;
        double sum = 0;
        for (int r = start; r < end; r++)
        {
            sum += kernel.AddL2(block.Values.AsSpan(r * cols, cols), block.Gradient.AsSpan(r * cols, cols));
        }
        _partial[_block][start / RowChunk] = sum;
    }

    private void ApplyRows(int start, int end)
    {
        ParameterBlock block = _blocks[_block];
        AdamKernel kernel = KernelOf(block);
        int cols = block.Cols;
        FloatBuffer m = _m[_block], v = _v[_block];
        for (int r = start; r < end; r++)
        {
            int o = r * cols;
            kernel.Apply(block.Values.AsSpan(o, cols), m.AsSpan(o, cols), v.AsSpan(o, cols), block.Gradient.AsSpan(o, cols), _scalars);
        }
    }
}
