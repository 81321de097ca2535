using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
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
    private int[] _entryKey = [];                                   // per entry: its item's row in _keys
    private int[] _keyItems = [], _keySlot = [];                    // the step's distinct history items; item -> its key row or -1
    private int _keyCount;
    private float[] _alpha = [], _entryDot = [], _keys = [], _entryGradient = [], _entryDz = [], _queryGradient = [];
    private float[] _keyWeightsT = [];                              // W_k^T [dim, dim] of the step: z = sum_i h[i] W_k^T[i]
    private float[] _keyPartials = [];                              // [chunks, dim + 1, dim]: dW_k and db_k per entry chunk
    private const int EntryChunk = 512;
    private int[] _entryIndex = [];                                 // 0, 1, 2, ...: entries as gather rows of a buffer
    private Action<int, int>? _keyChunkCache, _keyGradientChunkCache;
    private Action<int, int> _keyChunk => _keyChunkCache ??= KeyChunk;
    private Action<int, int> _keyGradientChunk => _keyGradientChunkCache ??= KeyGradientChunk;

    private IEnumerable<ParameterBlock> InitializeAttention(SimpleXOptions options, ulong seed)
    {
        _padding = options.Padding;
        int longest = Enumerable.Range(0, _train.UserCount).Select(_train.RowLength).DefaultIfEmpty(0).Max();
        // The reference pads to its max_len: the longest training history once the row's target is left out (810 on
        // Gowalla, whose longest train row has 811 items); a longer test history has no padding.
        _paddedLength = _historyLength > 0 ? _historyLength : Math.Max(longest - 1, 1);
        var keyWeights = new EmbeddingTable(Dim, Dim);
        keyWeights.InitializeNormal(Math.Sqrt(2.0 / (Dim + Dim)), seed, 0x4B3);
        _keyWeights = new ParameterBlock("W_k", Dim, Dim, keyWeights.Weights, false);
        _keyBias = new ParameterBlock("b_k", 1, Dim, new FloatBuffer(Dim), false);
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
        if (_keySlot.Length != _historyTable.Rows)
        {
            _keySlot = new int[_historyTable.Rows];
            Array.Fill(_keySlot, -1);
        }
        foreach (int item in _keyItems.AsSpan(0, _keyCount))
        {
            _keySlot[item] = -1;
        }
        _keyCount = 0;
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
                    Array.Resize(ref _entryKey, size);
                    Array.Resize(ref _keyItems, size);
                    Array.Resize(ref _alpha, size);
                    Array.Resize(ref _entryDot, size);
                    Array.Resize(ref _keys, size * Dim);
                    Array.Resize(ref _entryGradient, size * Dim);
                    Array.Resize(ref _entryDz, size * Dim);
                }
                // A key depends on its item only: one per distinct item of the step, however many rows hold it.
                if (_keySlot[j] < 0)
                {
                    _keySlot[j] = _keyCount;
                    _keyItems[_keyCount++] = j;
                }
                _entryKey[count] = _keySlot[j];
                _entryItem[count++] = j;
            }
        }
        _entryStart[_stepRows] = count;
        _entryCount = count;
        TransposeKeyWeights();
        if (_entryIndex.Length < count)
        {
            _entryIndex = Enumerable.Range(0, _entryItem.Length).ToArray();
        }
    }

    /// <summary>The key of every distinct item of this step's histories, in parallel chunks (rows then pool them).</summary>
    private void ComputeKeys(ParallelRunner runner) => runner.For(_keyCount, EntryChunk, _keyChunk);

    private void TransposeKeyWeights()
    {
        if (_keyWeightsT.Length != Dim * Dim)
        {
            _keyWeightsT = new float[Dim * Dim];
        }
        TransposeKeyWeights(_keyWeightsT);
    }

    /// <summary>W_k^T into <paramref name="target"/> [dim, dim] (a caller's own array when several threads read keys).</summary>
    private float[] TransposeKeyWeights(float[] target)
    {
        ReadOnlySpan<float> w = _keyWeights.Values;
        for (int o = 0; o < Dim; o++)
        {
            for (int i = 0; i < Dim; i++)
            {
                target[i * Dim + o] = w[o * Dim + i];
            }
        }
        return target;
    }

    private ReadOnlySpan<float> Query(int user) =>
        _queryWeights is null ? _users.Values.AsSpan(user * Dim, Dim) : _queryWeights.Values;

    /// <summary>Row r's attention pooling over its laid-out entries; keeps alpha and the keys for the backward pass.</summary>
    private int Attend(int r, Span<float> a)
    {
        int start = _entryStart[r], count = _entryStart[r + 1] - start;
        Pool(Query(_stepUsers[r]), _entryItem.AsSpan(start, count), _keys, _entryKey.AsSpan(start, count), _alpha.AsSpan(start, count), a);
        return count;
    }

    /// <summary>k_j = tanh(h_j W_k^T + b_k) for the step's distinct items [start, end), as one gathered product.</summary>
    private void KeyChunk(int start, int end)
    {
        Span<float> keys = _keys.AsSpan(start * Dim, (end - start) * Dim);
        Keys(_keyItems.AsSpan(start, end - start), _keyWeightsT, keys);
    }

    private void Keys(ReadOnlySpan<int> items, float[] keyWeightsT, Span<float> keys)
    {
        SmallGemm.GatherTimes(_historyTable.Values, items, keyWeightsT, Dim, keys, accumulate: false);
        for (int e = 0; e < items.Length; e++)
        {
            Span<float> k = keys.Slice(e * Dim, Dim);
            VectorKernels.MultiplyAdd<float>(_keyBias.Values, 1f, k);
            TensorPrimitives.Tanh(k, k);
        }
    }

    /// <summary>The full history (test time); scratch is allocated per call, which serves export only.</summary>
    private void AttendFullHistory(int user, float[] keyWeightsT, Span<float> a) => AttendItems(Query(user), History(user), keyWeightsT, a);

    /// <summary>Attention pooling of the given items with the given query; touches no shared scratch, so threads may
    /// call it at once (the new-user path of a server).</summary>
    private void AttendItems(ReadOnlySpan<float> query, ReadOnlySpan<int> items, float[] keyWeightsT, Span<float> a)
    {
        var keys = new float[items.Length * Dim];
        Keys(items, keyWeightsT, keys);
        Pool(query, items, keys, [], new float[items.Length], a);
    }

    /// <summary>alpha = softmax(k_e . q) (with the reference's padding when asked) and a = sum_e alpha_e h_e; entry e's
    /// key is row keyRows[e] of <paramref name="keys"/>, or row e when keyRows is empty.</summary>
    private void Pool(ReadOnlySpan<float> query, ReadOnlySpan<int> items, ReadOnlySpan<float> keys, ReadOnlySpan<int> keyRows, Span<float> alpha, Span<float> a)
    {
        FloatBuffer h = _historyTable.Values;
        float max = _padding == AttentionPadding.Reference ? 0f : float.NegativeInfinity;
        for (int e = 0; e < items.Length; e++)
        {
            alpha[e] = VectorKernels.Dot(keys.Slice((keyRows.IsEmpty ? e : keyRows[e]) * Dim, Dim), query);
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
            denominator += (Math.Max(_paddedLength - items.Length, 0) + 1e-9f) * MathF.Exp(-max);
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
        int chunks = (_entryCount + EntryChunk - 1) / EntryChunk;
        if (_keyPartials.Length < chunks * (Dim + 1) * Dim)
        {
            _keyPartials = new float[chunks * (Dim + 1) * Dim];
        }
        runner.For(_entryCount, EntryChunk, _keyGradientChunk);
        // Partials reduced in chunk order: fixed chunks, so the sums do not depend on the thread count.
        FloatBuffer dW = _keyWeights.Gradient, db = _keyBias.Gradient;
        for (int c = 0; c < chunks; c++)
        {
            ReadOnlySpan<float> part = _keyPartials.AsSpan(c * (Dim + 1) * Dim, (Dim + 1) * Dim);
            VectorKernels.MultiplyAdd(part[..(Dim * Dim)], 1f, dW);
            VectorKernels.MultiplyAdd(part[(Dim * Dim)..], 1f, db);
        }
        FloatBuffer target = _queryWeights is null ? _users.Gradient : _queryWeights.Gradient;
        for (int r = 0; r < _stepRows; r++)
        {
            int offset = _queryWeights is null ? _stepUsers[r] * Dim : 0;
            VectorKernels.MultiplyAdd(_queryGradient.AsSpan(r * Dim, Dim), 1f, target.AsSpan(offset, Dim));
        }
    }

    private void AttentionRows(int start, int end)
    {
        FloatBuffer h = _historyTable.Values;
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<float> da = _aggregateGradients.AsSpan(r * Dim, Dim), query = Query(_stepUsers[r]);
            Span<float> dq = _queryGradient.AsSpan(r * Dim, Dim);
            dq.Clear();
            int first = _entryStart[r], last = _entryStart[r + 1];
            float weighted = 0;
            for (int e = first; e < last; e++)
            {
                _entryDot[e] = VectorKernels.Dot(da, h.AsSpan(_entryItem[e] * Dim, Dim));
                weighted += _alpha[e] * _entryDot[e];
            }
            for (int e = first; e < last; e++)
            {
                ReadOnlySpan<float> k = _keys.AsSpan(_entryKey[e] * Dim, Dim);
                float dl = _alpha[e] * (_entryDot[e] - weighted);
                VectorKernels.MultiplyAdd(k, dl, dq);
                VectorKernels.Multiply(da, _alpha[e], _entryGradient.AsSpan(e * Dim, Dim));   // the direct part; W_k^T dz is added per chunk
                TanhGradient(query, dl, k, _entryDz.AsSpan(e * Dim, Dim));
            }
        }
    }

    /// <summary>dz = (dl q) .* (1 - k .* k) elementwise, in that order (the scalar loop's rounding).</summary>
    private static void TanhGradient(ReadOnlySpan<float> query, float dl, ReadOnlySpan<float> k, Span<float> dz)
    {
        int o = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var scale = Vector512.Create(dl);
            for (; o <= dz.Length - Vector512<float>.Count; o += Vector512<float>.Count)
            {
                Vector512<float> kv = Vector512.Create(k.Slice(o, Vector512<float>.Count));
                (scale * Vector512.Create(query.Slice(o, Vector512<float>.Count)) * (Vector512<float>.One - kv * kv)).CopyTo(dz.Slice(o));
            }
        }
        for (; o < dz.Length; o++)
        {
            dz[o] = dl * query[o] * (1 - k[o] * k[o]);
        }
    }

    /// <summary>One chunk of entries: dh_e += dz_e W_k, and the partial dW_k = sum_e dz_e^T h_e, db_k = sum_e dz_e, in order.</summary>
    private void KeyGradientChunk(int start, int end)
    {
        int n = end - start;
        ReadOnlySpan<int> rows = _entryIndex.AsSpan(start, n);
        SmallGemm.GatherTimes(_entryDz, rows, _keyWeights.Values, Dim, _entryGradient.AsSpan(start * Dim, n * Dim), accumulate: true);
        Span<float> part = _keyPartials.AsSpan(start / EntryChunk * (Dim + 1) * Dim, (Dim + 1) * Dim);
        part.Clear();
        SmallGemm.AddOuterProducts(_entryDz.AsSpan(start * Dim, n * Dim), _historyTable.Values, _entryItem.AsSpan(start, n), Dim, part[..(Dim * Dim)]);
        Span<float> db = part[(Dim * Dim)..];
        for (int e = start; e < end; e++)
        {
            VectorKernels.MultiplyAdd(_entryDz.AsSpan(e * Dim, Dim), 1f, db);
        }
    }
}
