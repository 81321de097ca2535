using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Training;

/// <summary>The chunk bodies of <see cref="MatrixFactorizationTrainer{TLoss}"/>'s phases: each runs over a range of
/// batch rows, slots or table rows, and writes only its own slices.</summary>
public sealed partial class MatrixFactorizationTrainer<TLoss>
{
    private void DrawRows(int from, int to, int worker)
    {
        int dim = _dim, slots = _slots;

        ulong[] bits = _workerBits[worker];
        for (int r = from; r < to; r++)
        {
            int position = _batchStart + r;
            int row = _order[position];
            int u = _rowUser[row];
            _batchUser[r] = u;
            _batchItems[r * slots] = _rowItem[row];
            Span<int> drawn = _batchItems.AsSpan(r * slots + 1, _drawn);
            if (_sampling.Timing == NegativeDrawTiming.PerEpoch)
            {
                _epochNegatives.AsSpan(position * _drawn, _drawn).CopyTo(drawn);
            }
            else
            {
                var rng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 1);
                if (_batchSampler is not null)
                {
                    _batchSampler.SampleRow(ref rng, r, u, drawn);
                }
                else
                {
                    _sampler.Sample(ref rng, u, drawn);
                }
            }
            foreach (int i in _batchItems.AsSpan(r * slots, 1 + _drawn))
            {
                bits[i >> 6] |= 1UL << i;
            }
            if (_hard > 0)
            {
                // The hard slots are filled after the catch-up, from these candidates (all marked for it).
                var candidateRng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 3);
                Span<int> candidates = _candidateItems.AsSpan(r * _candidates, _candidates);
                _sampling.CandidateSampler!.Sample(ref candidateRng, u, candidates);
                foreach (int i in candidates)
                {
                    bits[i >> 6] |= 1UL << i;
                }
            }
            if (_options.Dropout > 0)
            {
                var maskRng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 2);
                Span<float> scale = _dropoutScale.AsSpan(r * dim, dim);
                for (int d = 0; d < dim; d++)
                {
                    scale[d] = maskRng.NextUInt32() < _dropThreshold ? 0f : _keepScale;
                }
            }
        }
    }

    /// <summary>Per-epoch timing: every row's drawn negatives for the epoch, from the same streams as DrawRows.</summary>
    private void DrawEpochRows(int from, int to)
    {
        for (int position = from; position < to; position++)
        {
            int u = _rowUser[_order[position]];
            var rng = Xoshiro256.ForStream(_options.Seed, (ulong)_epoch, (ulong)position, 1);
            _sampler.Sample(ref rng, u, _epochNegatives.AsSpan(position * _drawn, _drawn));
        }
    }

    /// <summary>Scores each row's candidates with the caught-up model (no dropout) and keeps the top ones as its hard
    /// negatives. Cosine ranks by u . e_i / |e_i| (|u| is common to the row).</summary>
    private void SelectHardRows(int from, int to)
    {
        int dim = _dim, slots = _slots, m = _candidates;
        FloatBuffer users = _encoder.Users.Weights;
        ReadOnlySpan<float> items = _encoder.Items.Weights;
        bool cosine = _encoder.Score == ScoreKind.Cosine;
        for (int r = from; r < to; r++)
        {
            ReadOnlySpan<int> candidates = _candidateItems.AsSpan(r * m, m);
            Span<float> scores = _candidateScores.AsSpan(r * m, m);
            GatherDot.Compute(users.AsSpan(_batchUser[r] * dim, dim), items, candidates, scores);
            if (cosine)
            {
                for (int k = 0; k < m; k++)
                {
                    scores[k] *= _itemInverseNorm[candidates[k]];
                }
            }
            HardNegativeSelection.SelectTop(candidates, scores, _selectScratch.AsSpan(r * m, m), _batchItems.AsSpan(r * slots + 1 + _drawn, _hard));
        }
    }

    private void CatchUpItems(int from, int to)
    {
        ReadOnlySpan<int> rows = _distinctItems.AsSpan(from, to - from);
        _optimizer.CatchUpSerial(1, rows);
        if (_encoder.Score == ScoreKind.Cosine && !_normsPersist)
        {
            SetInverseNorms(rows);
        }
    }

    /// <summary>The norms of the item rows this step's Adam update changed (gradient rows [from, to) of the item table).</summary>
    private void RenewItemNorms(int from, int to) => SetInverseNorms(_gradient.Rows[1].AsSpan(from, to - from));

    /// <summary>1 / max(|e_i|, 1e-12) for the given item rows, as torch.nn.functional.normalize clamps it.</summary>
    private void SetInverseNorms(ReadOnlySpan<int> rows)
    {
        FloatBuffer items = _encoder.Items.Weights;
        foreach (int i in rows)
        {
            _itemInverseNorm[i] = InverseNorm(items.AsSpan(i * _dim, _dim));
        }
    }

    private static float InverseNorm(ReadOnlySpan<float> e) => 1f / MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares<float>(e)), 1e-12f);

    private void ComputeAllItemNorms(int from, int to)
    {
        FloatBuffer items = _encoder.Items.Weights;
        for (int i = from; i < to; i++)
        {
            _itemInverseNorm[i] = InverseNorm(items.AsSpan(i * _dim, _dim));
        }
    }

    private void ForwardRows(int from, int to)
    {
        int dim = _dim, slots = _slots;
        FloatBuffer users = _encoder.Users.Weights;
        ReadOnlySpan<float> items = _encoder.Items.Weights;

        int active = 0;
        int listStart = from * slots;
        for (int r = from; r < to; r++)
        {
            ReadOnlySpan<float> dropout = _options.Dropout > 0 ? _dropoutScale.AsSpan(r * dim, dim) : default;
            if (_pooling.Enabled)
            {
                // Scores and 1/|e_k| are already in place (ScoreRows); only the positive's derivative changes.
                _rowLoss[r] = _positiveLossDelta[r] + RowKernel.LossAndGradients(_loss, _encoder.Score, users.AsSpan(_batchUser[r] * dim, dim),
                    _userNorm[r], items, dim, _batchItems.AsSpan(r * slots, slots), dropout, _rowWeight, _userGradient.AsSpan(r * dim, dim),
                    _scores.AsSpan(r * slots, slots), _coefA.AsSpan(r * slots, slots), _coefB.AsSpan(r * slots, slots), _positiveGradient[r],
                    _options.DropoutBeforeNormalisation);
            }
            else
            {
                _rowLoss[r] = RowKernel.ForwardBackward(_loss, _encoder.Score, users.AsSpan(_batchUser[r] * dim, dim), items, dim,
                    _batchItems.AsSpan(r * slots, slots), dropout, _rowWeight,
                    _encoder.Score == ScoreKind.Cosine ? _itemInverseNorm : default,
                    _userTilde.AsSpan(r * dim, dim), _userGradient.AsSpan(r * dim, dim),
                    _scores.AsSpan(r * slots, slots), _coefA.AsSpan(r * slots, slots), _coefB.AsSpan(r * slots, slots),
                    _options.DropoutBeforeNormalisation);
            }
            for (int s = r * slots; s < (r + 1) * slots; s++)
            {
                // With L2 on the batch's rows every slot's item has a gradient, whatever the loss gave it.
                if (_coefA[s] != 0f || _coefB[s] != 0f || _batchL2 > 0)
                {
                    _activeSlots[listStart + active++] = s;
                }
            }
        }
        _activeCount[from / RowChunk] = active;
    }

    /// <summary>The scoring half of the row pass, for losses that pool positives across rows before any gradient.</summary>
    private void ScoreRows(int from, int to)
    {
        int dim = _dim, slots = _slots;
        FloatBuffer users = _encoder.Users.Weights;
        ReadOnlySpan<float> items = _encoder.Items.Weights;
        for (int r = from; r < to; r++)
        {
            _userNorm[r] = RowKernel.PrepareUser<float>(_encoder.Score, users.AsSpan(_batchUser[r] * dim, dim),
                _options.Dropout > 0 ? _dropoutScale.AsSpan(r * dim, dim) : default, _userTilde.AsSpan(r * dim, dim),
                _options.DropoutBeforeNormalisation);
            RowKernel.Score<float>(_encoder.Score, _userTilde.AsSpan(r * dim, dim), items, dim, _batchItems.AsSpan(r * slots, slots),
                _encoder.Score == ScoreKind.Cosine ? _itemInverseNorm : default, _scores.AsSpan(r * slots, slots), _coefB.AsSpan(r * slots, slots));
        }
    }

    /// <summary>Pooled positive parts (<see cref="PooledPositives"/>) from the rows' positive scores; serial.</summary>
    private void PoolPositives(int size, int userCount)
    {
        for (int r = 0; r < size; r++)
        {
            _positiveScore[r] = _scores[r * _slots];
        }
        PooledPositives.Compute<float>(_pooling, _positiveScore.AsSpan(0, size), _localUser.AsSpan(0, size), userCount,
            _positiveLossDelta, _positiveGradient, _poolMax, _poolSum, _poolCount);
    }

    /// <summary>Row chunks [first, end) of part p when the batch's chunks are cut into equal contiguous parts.</summary>
    private (int First, int End) PartChunks(int part) =>
        (part * _chunks / _partCount.Length, (part + 1) * _chunks / _partCount.Length);

    /// <summary>Where row chunk c's list of active slots starts, its length, and whether it is every slot of the chunk
    /// (the list ascends from the chunk's first slot, so it is all of them when it ends at start + length - 1); then
    /// the slots are their own list and the grouping reads them directly.</summary>
    private (int Start, int Count, bool EverySlot) ActiveList(int c)
    {
        int start = c * RowChunk * _slots, count = _activeCount[c];
        return (start, count, count > 0 && _activeSlots[start + count - 1] == start + count - 1);
    }

    private void CountItemSlots(int from, int to)
    {
        for (int part = from; part < to; part++)
        {
            int[] count = _partCount[part];
            Array.Clear(count, 0, _itemCount);
            int[] itemLocal = _itemLocal, batchItems = _batchItems;
            (int first, int end) = PartChunks(part);
            for (int c = first; c < end; c++)
            {
                (int listStart, int active, bool everySlot) = ActiveList(c);
                if (everySlot)
                {
                    foreach (int i in batchItems.AsSpan(listStart, active))
                    {
                        count[itemLocal[i]]++;
                    }
                    continue;
                }
                foreach (int s in _activeSlots.AsSpan(listStart, active))
                {
                    count[itemLocal[batchItems[s]]]++;
                }
            }
        }
    }

    /// <summary>Lists each active slot under its item as a <see cref="SlotTerm"/>: the coefficients are read here in slot
    /// order and written next to each other, so the sums read each item's terms in sequence.</summary>
    private void ScatterItemSlots(int from, int to)
    {
        for (int part = from; part < to; part++)
        {
            int[] cursor = _partCount[part];
            int[] itemLocal = _itemLocal, batchItems = _batchItems;
            float[] coefA = _coefA, coefB = _coefB;
            SlotTerm[] list = _itemTerms;
            (int first, int end) = PartChunks(part);
            for (int c = first; c < end; c++)
            {
                (int listStart, int active, bool everySlot) = ActiveList(c);
                if (everySlot)
                {
                    int row = c * RowChunk;
                    for (int s = listStart, last = listStart + active; s < last; row++)
                    {
                        for (int rowEnd = Math.Min(s + _slots, last); s < rowEnd; s++)
                        {
                            list[cursor[itemLocal[batchItems[s]]]++] = new SlotTerm(row, coefA[s], coefB[s]);
                        }
                    }
                    continue;
                }
                foreach (int s in _activeSlots.AsSpan(listStart, active))
                {
                    list[cursor[itemLocal[batchItems[s]]]++] = new SlotTerm(_slotRows.Quotient(s), coefA[s], coefB[s]);
                }
            }
        }
    }

    private void SumUserGradients(int from, int to)
    {
        int dim = _dim;
        for (int q = from; q < to; q++)
        {
            _gradient.Rows[0][q] = _distinctUsers[q];
            Span<float> g = _gradient.Value(0, q);
            g.Clear();
            for (int p = _userRowStart[q]; p < _userRowStart[q + 1]; p++)
            {
                int r = _userRowList[p];
                VectorKernels.MultiplyAdd<float>(_userGradient.AsSpan(r * dim, dim), 1f, g);
            }
            if (_batchL2 > 0)
            {
                // d/dw of (lambda/2B) |w|^2 once per row of the user.
                VectorKernels.MultiplyAdd<float>(_encoder.Users.Weights.AsSpan(_distinctUsers[q] * dim, dim), _rowL2 * (_userRowStart[q + 1] - _userRowStart[q]), g);
            }
            if (_l2InSums)
            {
                _rowNormSquared[q] = _optimizer.Kernel.AddL2(_encoder.Users.Weights.AsSpan(_distinctUsers[q] * dim, dim), g);
            }
        }
    }

    private void SumItemGradients(int from, int to)
    {
        int dim = _dim;
        FloatBuffer items = _encoder.Items.Weights;

        for (int t = from; t < to; t++)
        {
            int q = _touchedItems[t];
            int item = _distinctItems[q];
            _gradient.Rows[1][t] = item;
            Span<float> g = _gradient.Value(1, t);
            // dL/de_i = sum_s a_s u~_row(s) - (sum_s b_s) e_i over the slots that drew item i
            ReadOnlySpan<SlotTerm> terms = _itemTerms.AsSpan(_itemSlotStart[q], _itemSlotStart[q + 1] - _itemSlotStart[q]);
            float bSum = GatherScaledSum.Compute(_userTilde, terms, g);
            if (bSum != 0f)
            {
                VectorKernels.MultiplyAdd<float>(items.AsSpan(item * dim, dim), -bSum, g);
            }
            if (_batchL2 > 0)
            {
                // Every slot of the item is listed (ForwardRows): once per slot.
                VectorKernels.MultiplyAdd<float>(items.AsSpan(item * dim, dim), _rowL2 * terms.Length, g);
            }
            if (_l2InSums)
            {
                _rowNormSquared[_userCount + t] = _optimizer.Kernel.AddL2(items.AsSpan(item * dim, dim), g);
            }
        }
    }

    private void CatchUpMixed(int from, int to)
    {
        for (int c = from; c < to; c++)
        {
            int entry = _catchUpPlan[c];
            if (entry < 0)
            {
                int start = ~entry;
                _optimizer.CatchUpSerial(0, _distinctUsers.AsSpan(start, Math.Min(UserCatchUpChunk, _userCount - start)));
            }
            else
            {
                CatchUpItems(entry, Math.Min(entry + ItemCatchUpChunk, _itemCount));
            }
        }
    }

    /// <summary>After each epoch one sum per table checks finiteness; the error names the likely fix.</summary>
    private void CheckFinite(int epoch)
    {
        for (int t = 0; t < 2; t++)
        {
            EmbeddingTable table = t == 0 ? _encoder.Users : _encoder.Items;
            string name = t == 0 ? "user" : "item";
            double sum = 0;
            foreach (float w in table.Weights.AsSpan())
            {
                sum += w;
            }
            if (!double.IsFinite(sum))
            {
                throw new TrainingDivergedException($"The {name} embeddings are not finite after epoch {epoch}: training diverged. Lower the learning rate (--lr) or enable gradient clipping (--clip-norm).");
            }
        }
    }
}
