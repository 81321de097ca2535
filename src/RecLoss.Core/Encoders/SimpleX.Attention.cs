using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>
/// SimpleX's attention aggregators: <c>k_j = tanh(W_k h_j + b_k)</c>, <c>l_j = k_j . q</c> with <c>q = e_u</c> (user
/// attention) or a learned <c>w_q</c> (self attention), <c>alpha = softmax(l)</c> over the history, <c>a = sum_j alpha_j h_j</c>.
/// With <see cref="AttentionPadding.Reference"/> the denominator also counts <c>e^0 = 1</c> for every padded slot up to the
/// padded length, and <c>1e-9</c>, as the reference's masked_softmax does.
/// </summary>
public sealed partial class SimpleX
{
    private ParameterBlock _keyWeights = null!, _keyBias = null!;   // W_k [dim, dim], b_k [1, dim]
    private ParameterBlock? _queryWeights;                          // w_q [1, dim], self attention only
    private AttentionPadding _padding;
    private int _paddedLength;
    private int _entryCount;
    private int[] _entryStart = [], _entryItem = [];                // per row: [start, next start) of its (row, item) entries
    private float[] _alpha = [], _keys = [], _entryGradient = [], _entryDz = [], _queryGradient = [];

    private IEnumerable<ParameterBlock> InitializeAttention(SimpleXOptions options, ulong seed)
    {
        _padding = options.Padding;
        int longest = Enumerable.Range(0, _train.UserCount).Select(_train.RowLength).DefaultIfEmpty(0).Max();
        _paddedLength = _historyLength > 0 ? _historyLength : longest;
        var keyWeights = new EmbeddingTable(Dim, Dim);
        keyWeights.InitializeNormal(Math.Sqrt(2.0 / (Dim + Dim)), seed, 0x4B3);
        _keyWeights = new ParameterBlock("W_k", Dim, Dim, keyWeights.Weights, false);
        _keyBias = new ParameterBlock("b_k", 1, Dim, new float[Dim], false);
        if (options.Aggregator == SimpleXAggregator.UserAttention)
        {
            return [_keyWeights, _keyBias];
        }
        var query = new EmbeddingTable(1, Dim);
        query.InitializeNormal(Math.Sqrt(2.0 / (Dim + 1)), seed, 0x9E7);   // Xavier normal of a [dim, 1] tensor
        _queryWeights = new ParameterBlock("w_q", 1, Dim, query.Weights, false);
        return [_keyWeights, _keyBias, _queryWeights];
    }

    /// <summary>Lists each row's history entries (target left out) so that rows can attend in parallel.</summary>
    private void LayOutEntries()
    {
        if (_entryStart.Length < _stepRows + 1)
        {
            _entryStart = new int[_stepRows + 1];
            _queryGradient = new float[_stepRows * Dim];
        }
        int count = 0;
        for (int r = 0; r < _stepRows; r++)
        {
            _entryStart[r] = count;
            int target = _hasTargets ? _stepTargets[r] : -1;
            foreach (int j in History(_stepUsers[r]))
            {
                if (j == target)
                {
                    continue;
                }
                if (count == _entryItem.Length)
                {
                    // Grows to the largest step once; later steps allocate nothing.
                    int size = Math.Max(1024, count * 2);
                    Array.Resize(ref _entryItem, size);
                    Array.Resize(ref _alpha, size);
                    Array.Resize(ref _keys, size * Dim);
                    Array.Resize(ref _entryGradient, size * Dim);
                    Array.Resize(ref _entryDz, size * Dim);
                }
                _entryItem[count++] = j;
            }
        }
        _entryStart[_stepRows] = count;
        _entryCount = count;
    }

    private ReadOnlySpan<float> Query(int user) =>
        _queryWeights is null ? _users.Values.AsSpan(user * Dim, Dim) : _queryWeights.Values;

    /// <summary>Row r's attention pooling over its laid-out entries; keeps alpha and the keys for the backward pass.</summary>
    private int Attend(int r, Span<float> a)
    {
        int start = _entryStart[r], count = _entryStart[r + 1] - start;
        AttendCore(Query(_stepUsers[r]), _entryItem.AsSpan(start, count), _keys.AsSpan(start * Dim, count * Dim), _alpha.AsSpan(start, count), a);
        return count;
    }

    /// <summary>The full history (test time); scratch is allocated per call, which serves export only.</summary>
    private void AttendFullHistory(int user, Span<float> a)
    {
        ReadOnlySpan<int> items = History(user);
        AttendCore(Query(user), items, new float[items.Length * Dim], new float[items.Length], a);
    }

    private void AttendCore(ReadOnlySpan<float> query, ReadOnlySpan<int> items, Span<float> keys, Span<float> alpha, Span<float> a)
    {
        float[] w = _keyWeights.Values, b = _keyBias.Values, h = _historyTable.Values;
        float max = _padding == AttentionPadding.Reference ? 0f : float.NegativeInfinity;
        for (int e = 0; e < items.Length; e++)
        {
            ReadOnlySpan<float> hj = h.AsSpan(items[e] * Dim, Dim);
            Span<float> k = keys.Slice(e * Dim, Dim);
            for (int o = 0; o < Dim; o++)
            {
                k[o] = MathF.Tanh(VectorKernels.Dot(w.AsSpan(o * Dim, Dim), hj) + b[o]);
            }
            alpha[e] = VectorKernels.Dot<float>(k, query);
            max = MathF.Max(max, alpha[e]);
        }
        // Shifted by the largest logit (0 counts among them with padding): the same softmax, without overflow.
        float denominator = 0;
        for (int e = 0; e < items.Length; e++)
        {
            alpha[e] = MathF.Exp(alpha[e] - max);
            denominator += alpha[e];
        }
        if (_padding == AttentionPadding.Reference)
        {
            denominator += (_paddedLength - items.Length + 1e-9f) * MathF.Exp(-max);
        }
        a.Clear();
        for (int e = 0; e < items.Length; e++)
        {
            alpha[e] /= denominator;
            VectorKernels.MultiplyAdd(h.AsSpan(items[e] * Dim, Dim), alpha[e], a);
        }
    }

    /// <summary>
    /// Given da = dL/da per row (in the aggregate-gradient buffer): d alpha_j = da . h_j, dl_j = alpha_j (d alpha_j -
    /// sum_k alpha_k d alpha_k) (padded slots have constant logits and zero vectors), dz_j = dl_j q .* (1 - k_j^2);
    /// dh_j = alpha_j da + W_k^T dz_j per entry; dW_k, db_k summed over entries in order; dq to e_u or w_q.
    /// </summary>
    private void AttentionBackward(ParallelRunner runner)
    {
        runner.For(_stepRows, 8, AttentionRows);
        runner.For(Dim, 8, KeyWeightRows);
        float[] target = _queryWeights is null ? _users.Gradient : _queryWeights.Gradient;
        for (int r = 0; r < _stepRows; r++)
        {
            int offset = _queryWeights is null ? _stepUsers[r] * Dim : 0;
            VectorKernels.MultiplyAdd(_queryGradient.AsSpan(r * Dim, Dim), 1f, target.AsSpan(offset, Dim));
        }
    }

    private void AttentionRows(int start, int end)
    {
        float[] w = _keyWeights.Values, h = _historyTable.Values;
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<float> da = _aggregateGradients.AsSpan(r * Dim, Dim), query = Query(_stepUsers[r]);
            Span<float> dq = _queryGradient.AsSpan(r * Dim, Dim);
            dq.Clear();
            int first = _entryStart[r], last = _entryStart[r + 1];
            float weighted = 0;
            for (int e = first; e < last; e++)
            {
                weighted += _alpha[e] * VectorKernels.Dot(da, h.AsSpan(_entryItem[e] * Dim, Dim));
            }
            for (int e = first; e < last; e++)
            {
                ReadOnlySpan<float> k = _keys.AsSpan(e * Dim, Dim);
                float dl = _alpha[e] * (VectorKernels.Dot(da, h.AsSpan(_entryItem[e] * Dim, Dim)) - weighted);
                VectorKernels.MultiplyAdd(k, dl, dq);
                Span<float> dz = _entryDz.AsSpan(e * Dim, Dim), dh = _entryGradient.AsSpan(e * Dim, Dim);
                VectorKernels.Multiply(da, _alpha[e], dh);
                for (int o = 0; o < Dim; o++)
                {
                    dz[o] = dl * query[o] * (1 - k[o] * k[o]);
                    VectorKernels.MultiplyAdd(w.AsSpan(o * Dim, Dim), dz[o], dh);
                }
            }
        }
    }

    /// <summary>dW_k[o] += sum_e dz_e[o] h_e and db_k[o] += sum_e dz_e[o], entries in order.</summary>
    private void KeyWeightRows(int start, int end)
    {
        float[] dW = _keyWeights.Gradient, db = _keyBias.Gradient, h = _historyTable.Values;
        for (int o = start; o < end; o++)
        {
            Span<float> row = dW.AsSpan(o * Dim, Dim);
            float bias = 0;
            for (int e = 0; e < _entryCount; e++)
            {
                float dz = _entryDz[e * Dim + o];
                VectorKernels.MultiplyAdd(h.AsSpan(_entryItem[e] * Dim, Dim), dz, row);
                bias += dz;
            }
            db[o] += bias;
        }
    }
}
