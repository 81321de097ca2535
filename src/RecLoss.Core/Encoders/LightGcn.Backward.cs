using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>LightGCN's backward: dL/dE0 = 1/(K+1) sum_k A^k G (A is symmetric), each product gathering only the rows
/// that can be nonzero, with the layer-L2 terms of the BSL code when set.</summary>
public sealed partial class LightGcn
{
    private readonly int[] _gradientRows;     // the rows where G may be nonzero, once each
    private readonly bool[] _isGradientRow;   // [nodes]
    private int _gradientRowCount;

    /// <summary>dL/dE0 = 1/(K+1) sum_k A^k G, with G the gradient of the final vectors (users' summed per row in order).</summary>
    public void Backward(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, ReadOnlySpan<float> userGradients, float[] itemGradients, ReadOnlySpan<int> itemRows,
        ParallelRunner runner)
    {
        ListGradientRows(users, itemRows);
        for (int r = 0; r < users.Length; r++)
        {
            VectorKernels.MultiplyAdd(userGradients.Slice(r * Dim, Dim), 1f, _gradientIn.AsSpan(users[r] * Dim, Dim));
        }
        foreach (int i in itemRows)
        {
            itemGradients.AsSpan(i * Dim, Dim).CopyTo(_gradientIn.AsSpan((UserCount + i) * Dim, Dim));
        }
        Array.Clear(_support);
        _supportAll = FullBackwardProducts;
        MarkSupport();
        if (_layers == 0)
        {
            FloatBuffer gradient = _layerVectors is null ? _gradientIn : PropagateGradientWithLayerL2(runner);
            VectorKernels.MultiplyAdd<float>(gradient, 1f, _nodes.Gradient);
        }
        else if (_layerVectors is null)
        {
            PropagateGradient(runner);
        }
        else
        {
            PropagateGradientWithLayerL2(runner);
        }
    }

    /// <summary>Lists the rows where G may be nonzero (the batch's users, the items with a gradient, the layer-L2 rows),
    /// once each, after setting the last step's back to +0: G is +0 on every other row.</summary>
    private void ListGradientRows(ReadOnlySpan<int> users, ReadOnlySpan<int> itemRows)
    {
        for (int p = 0; p < _gradientRowCount; p++)
        {
            int n = _gradientRows[p];
            _gradientIn.AsSpan(n * Dim, Dim).Clear();
            _isGradientRow[n] = false;
        }
        _gradientRowCount = 0;
        foreach (int u in users)
        {
            ListGradientRow(u);
        }
        foreach (int i in itemRows)
        {
            ListGradientRow(UserCount + i);
        }
        foreach (int n in _l2Nodes)
        {
            ListGradientRow(n);
        }
    }

    private void ListGradientRow(int node)
    {
        if (!_isGradientRow[node])
        {
            _isGradientRow[node] = true;
            _gradientRows[_gradientRowCount++] = node;
        }
    }

    /// <summary>target[n] (+)= scale G[n] over the listed rows: elsewhere G is +0 and adding +0 changes no sum (a
    /// product's row is never -0), so these are the whole pass's bits.</summary>
    private void AddScaledGradientRows(FloatBuffer target, float scale, bool add)
    {
        for (int p = 0; p < _gradientRowCount; p++)
        {
            int offset = _gradientRows[p] * Dim;
            if (add)
            {
                VectorKernels.MultiplyAdd(_gradientIn.AsSpan(offset, Dim), scale, target.AsSpan(offset, Dim));
            }
            else
            {
                VectorKernels.Multiply(_gradientIn.AsSpan(offset, Dim), scale, target.AsSpan(offset, Dim));
            }
        }
    }

    /// <summary>
    /// dL/dE0 = 1/(K+1) (G + T_1 + ... + T_K), T_k = A T_(k-1), T_0 = G, summed in that order straight into the zeroed
    /// gradient (K >= 1): T_1 is written there, G added on its own rows once T_2 has read T_1 (t + g = g + t), then each
    /// T_k. Each product gathers only the rows that can be nonzero: G lives on the batch's rows, T_k on their k hops.
    /// Written, not added to +0: the same bits, but for a -0 that only the scale's rounding of a denormal can give (the
    /// add gave +0), which steps Adam's moments and the parameters exactly as +0 does.
    /// </summary>
    private void PropagateGradient(ParallelRunner runner)
    {
        FloatBuffer sum = _nodes.Gradient, previous = sum;
        MultiplyFromSupport(_gradientIn, sum, runner);
        for (int k = 2; k <= _layers; k++)
        {
            FloatBuffer target = k % 2 == 0 ? _layerB : _layerA;
            MultiplyFromSupport(previous, target, runner);
            if (k == 2)
            {
                AddScaledGradientRows(sum, 1f, add: true);
            }
            else
            {
                VectorKernels.MultiplyAdd<float>(previous, 1f, sum);
            }
            previous = target;
        }
        if (_layers == 1)
        {
            AddScaledGradientRows(sum, 1f, add: true);
        }
        else
        {
            VectorKernels.MultiplyAdd<float>(previous, 1f, sum);
        }
        VectorKernels.Multiply<float>(sum, 1f / (_layers + 1), sum);
    }

    /// <summary>Flags the rows the backward's additive terms write: G's rows (the batch's users, the items with a
    /// gradient, the rows with layer L2).</summary>
    private void MarkSupport()
    {
        if (_supportAll)
        {
            return;
        }
        for (int p = 0; p < _gradientRowCount; p++)
        {
            _support[_gradientRows[p]] = true;
        }
    }

    /// <summary>output = A input with the input's possibly-nonzero rows in <see cref="_support"/>; afterwards
    /// <see cref="_support"/> flags the output's. Once most rows are flagged the plain product runs (the same sums).</summary>
    private void MultiplyFromSupport(FloatBuffer input, FloatBuffer output, ParallelRunner runner)
    {
        _input = input;
        _output = output;
        if (!_supportAll && _support.AsSpan().Count(true) * 2 > _support.Length)
        {
            _supportAll = true;
        }
        if (_supportAll)
        {
            runner.For(_adjacency.Rows, RowChunk, _multiply);
            return;
        }
        runner.For(_adjacency.Rows, RowChunk, _multiplySparse);
        (_support, _touched) = (_touched, _support);
    }

    /// <summary>For the next <see cref="Backward"/>: L2 on every layer of these rows, <c>coefficient/2 sum_k |E_k[n]|^2</c>
    /// once per occurrence of user n or item n (<see cref="LightGcnOptions.LayerL2"/> only).</summary>
    public void SetLayerL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient)
    {
        float[] weight = _l2Weight ?? throw new InvalidOperationException("This LightGCN was built without layer L2 (LightGcnOptions.LayerL2).");
        ClearLayerL2();
        foreach (int u in users)
        {
            AddWeight(weight, u, coefficient);
        }
        foreach (int i in items)
        {
            AddWeight(weight, UserCount + i, coefficient);
        }
    }

    private void AddWeight(float[] weight, int node, float coefficient)
    {
        if (weight[node] == 0)
        {
            _l2Nodes.Add(node);
        }
        weight[node] += coefficient;
    }

    private void ClearLayerL2()
    {
        foreach (int n in _l2Nodes)
        {
            _l2Weight![n] = 0;
        }
        _l2Nodes.Clear();
    }

    /// <summary>
    /// dL/dE0 = sum_k A^k (G/(K+1) + H_k), H_k = w * E_k on the weighted rows, by Horner's rule:
    /// R = G/(K+1) + H_K, then R = A R + G/(K+1) + H_k for k = K-1..0 (K products, as the plain backward).
    /// The last R is written straight into the zeroed gradient (+0 + R = R: R is never -0); G's terms touch only its rows,
    /// and while the first product gathers only flagged rows, R starts on those alone.
    /// </summary>
    private FloatBuffer PropagateGradientWithLayerL2(ParallelRunner runner)
    {
        float scale = 1f / (_layers + 1);
        FloatBuffer r = _gradientOut, next = _layerA;
        if (_layers > 0 && !_supportAll && _gradientRowCount * 2 <= _support.Length)
        {
            AddScaledGradientRows(r, scale, add: false);
        }
        else
        {
            VectorKernels.Multiply<float>(_gradientIn, scale, r);
        }
        AddLayerRows(r, _layers);
        for (int k = _layers - 1; k >= 0; k--)
        {
            next = k == 0 ? _nodes.Gradient : next;
            MultiplyFromSupport(r, next, runner);
            AddScaledGradientRows(next, scale, add: true);
            AddLayerRows(next, k);
            MarkSupport();
            (r, next) = (next, r);
        }
        ClearLayerL2();
        return r;
    }

    /// <summary>target[n] += w[n] E_k[n] over the weighted rows (E_0 the parameters).</summary>
    private void AddLayerRows(FloatBuffer target, int k)
    {
        FloatBuffer layer = k == 0 ? _nodes.Values : _layerVectors![k - 1];
        foreach (int n in _l2Nodes)
        {
            VectorKernels.MultiplyAdd(layer.AsSpan(n * Dim, Dim), _l2Weight![n], target.AsSpan(n * Dim, Dim));
        }
    }
}
