using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>
/// LightGCN's training forward: the final vectors of the rows a step reads, E_k computed only where a later layer or
/// the final sum needs it. With R the read rows, E_K is needed on S_K = R and E_k on S_k = S_(k+1) + N(S_(k+1)): each
/// row is the same sum as in the whole product, so the read rows' vectors are the same bits.
/// </summary>
public sealed partial class LightGcn
{
    private readonly bool[][] _needed;   // [K+1][nodes]: E_k is needed on node n (index 0: listed at all)
    private readonly int[] _stepNodes;   // the needed nodes: the read rows first, then each lower layer's newcomers
    private readonly int[] _stepDepth;   // the layers 1..k each listed node is needed on
    private bool[] _flagged = [];
    private readonly Action<int, int> _multiplyFlagged, _assembleRows;
    private int _stepCount, _readCount, _fullThrough;   // _stepNodes[0.._readCount): the read rows; layers 1.._fullThrough run whole
    private int _assembleLayer;
    private FloatBuffer _assembleSource = new(0);

    /// <summary>Tests: propagate every row at every step, as <see cref="Export"/> does.</summary>
    internal bool FullForward { get; set; }

    /// <summary>Propagates the rows the step reads (the users' rows and the items' and candidates'), each layer only
    /// where needed; every other row of <see cref="UserVectors"/> and <see cref="ItemVectors"/> is stale.</summary>
    public void BeginStep(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<int> candidates, ParallelRunner runner)
    {
        if (FullForward)
        {
            Propagate(_nodes.Values, _final, runner, _layerVectors);
            return;
        }
        CollectStepNodes(users, items, candidates);
        FloatBuffer current = _nodes.Values;
        for (int k = 1; k <= _layers; k++)
        {
            FloatBuffer target = LayerBuffer(_layerVectors, k);
            _input = current;
            _output = target;
            if (k <= _fullThrough)
            {
                runner.For(_adjacency.Rows, RowChunk, _multiply);
            }
            else
            {
                _flagged = _needed[k];
                runner.For(_adjacency.Rows, RowChunk, _multiplyFlagged);
            }
            AddToFinal(k, target, runner);
            current = target;
        }
        if (_layers == 0)
        {
            AddToFinal(0, current, runner);
        }
    }

    /// <summary>Adds E_k to the read rows' final vectors right after it is computed (the buffers of E_k and E_(k+2)
    /// are shared): E_0 + E_1 at k = 1, then + E_k, and the 1/(K+1) at k = K; the whole pass's order per element.</summary>
    private void AddToFinal(int k, FloatBuffer layer, ParallelRunner runner)
    {
        _assembleLayer = k;
        _assembleSource = layer;
        runner.For(_readCount, RowChunk, _assembleRows);
    }

    /// <summary>Lists S_K = the read rows, then S_(K-1) .. S_1 by adding the neighbours of each layer's newcomers; once a
    /// layer needs more than half the rows, it and the layers under it run whole.</summary>
    private void CollectStepNodes(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<int> candidates)
    {
        for (int p = 0; p < _stepCount; p++)
        {
            for (int j = 0; j <= _stepDepth[p]; j++)
            {
                _needed[j][_stepNodes[p]] = false;
            }
        }
        _stepCount = 0;
        foreach (int u in users)
        {
            Need(u, _layers);
        }
        foreach (int i in items)
        {
            Need(UserCount + i, _layers);
        }
        foreach (int i in candidates)
        {
            Need(UserCount + i, _layers);
        }
        _readCount = _stepCount;
        _fullThrough = 0;
        int newcomers = 0;
        for (int k = _layers - 1; k >= 1; k--)
        {
            if (_stepCount * 2 > _adjacency.Rows)
            {
                _fullThrough = k;
                break;
            }
            int end = _stepCount;
            for (int p = newcomers; p < end; p++)
            {
                int n = _stepNodes[p];
                for (int q = _adjacency.RowPointers[n]; q < _adjacency.RowPointers[n + 1]; q++)
                {
                    Need(_adjacency.Columns[q], k);
                }
            }
            newcomers = end;
        }
    }

    /// <summary>Lists the node for layers 1..k unless it is listed already (for as many layers: they only go down).</summary>
    private void Need(int node, int k)
    {
        if (!_needed[0][node])
        {
            for (int j = 0; j <= k; j++)
            {
                _needed[j][node] = true;
            }
            _stepNodes[_stepCount] = node;
            _stepDepth[_stepCount++] = k;
        }
    }

    private void MultiplyFlaggedRows(int start, int end) => _adjacency.MultiplyFlaggedRows(start, end, _input, Dim, _output, _flagged);

    private void AssembleRows(int start, int end)
    {
        int k = _assembleLayer;
        float scale = 1f / (_layers + 1);
        for (int p = start; p < end; p++)
        {
            int offset = _stepNodes[p] * Dim;
            Span<float> output = _final.AsSpan(offset, Dim);
            if (k <= 1)
            {
                _nodes.Values.AsSpan(offset, Dim).CopyTo(output);
            }
            if (k >= 1)
            {
                VectorKernels.MultiplyAdd<float>(_assembleSource.AsSpan(offset, Dim), 1f, output);
            }
            if (k == _layers)
            {
                VectorKernels.Multiply<float>(output, scale, output);
            }
        }
    }
}
