using System.Diagnostics;
using System.Numerics;
using RecLoss.Core.Losses;

namespace RecLoss.Core.Training;

/// <summary>The step of <see cref="MatrixFactorizationTrainer{TLoss}"/>: its phases in order, each timed.</summary>
public sealed partial class MatrixFactorizationTrainer<TLoss>
{
    /// <summary>One optimisation step over order[start .. start + size); returns the sum of row losses.</summary>
    private double Step(int epoch, int start, int size)
    {
        _phaseClock = Stopwatch.GetTimestamp();
        _epoch = epoch;
        _batchStart = start;
        _rowWeight = _sumOverBatch ? 1f : 1f / size;
        _rowL2 = _batchL2 / size;

        Draw(size);
        EndPhase(0);
        Index(size);
        EndPhase(1);
        CatchUp();
        EndPhase(2);
        if (_hard > 0)
        {
            // Hard negatives: score each row's candidates with the caught-up model, keep the top ones (parallel).
            _runner.For(size, RowChunk, _selectHardRows);
        }
        EndPhase(3);
        ForwardBackward(size);
        EndPhase(4);
        int touched = Group(size);
        EndPhase(5);
        SumGradients(touched);
        EndPhase(6);
        AdamStep(size, touched);
        EndPhase(7);

        double sum = 0;
        for (int r = 0; r < size; r++)
        {
            sum += _rowLoss[r];
        }
        return sum;
    }

    /// <summary>Draws negatives (and hard candidates) and dropout masks (parallel, per-row streams); each worker marks
    /// the items it drew. A batch-dependent sampler first sees the batch's positives (serial).</summary>
    private void Draw(int size)
    {
        int start = _batchStart;

        if (_batchSampler is not null)
        {
            for (int r = 0; r < size; r++)
            {
                _batchPositives[r] = _rowItem[_order[start + r]];
            }
            _batchSampler.BeginBatch(_batchPositives.AsSpan(0, size));
        }
        _runner.ForWorkers(size, RowChunk, _drawRows);
    }

    /// <summary>Indexes the batch's distinct users (first-appearance order) and items (ascending, so the catch-up walks
    /// the item tables in address order); serial. OR-ing the workers' bitmaps is order-independent.</summary>
    private void Index(int size)
    {
        int stamp = ++_stamp;
        int userCount = 0, itemCount = 0;
        for (int r = 0; r < size; r++)
        {
            int u = _batchUser[r];
            if (_userStamp[u] != stamp)
            {
                _userStamp[u] = stamp;
                _userLocal[u] = userCount;
                _distinctUsers[userCount++] = u;
            }
            _localUser[r] = _userLocal[u];
        }
        for (int word = 0; word < _workerBits[0].Length; word++)
        {
            ulong bits = 0;
            foreach (ulong[] workerBits in _workerBits)
            {
                bits |= workerBits[word];
                workerBits[word] = 0;
            }
            while (bits != 0)
            {
                int i = (word << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                _itemLocal[i] = itemCount;
                _distinctItems[itemCount++] = i;
            }
        }
        _userCount = userCount;
        _itemCount = itemCount;
    }

    /// <summary>Brings every row this step reads up to date, and caches the items' inverse norms while they are hot.</summary>
    /// <remarks>Users (long replays: compute-bound) are spread among items (short replays: memory-bound) in one loop, so
    /// the two kinds of work overlap on the cores. Plan entry >= 0: an item chunk start; &lt; 0: ~(user chunk start).</remarks>
    private void CatchUp()
    {
        int userChunks = (_userCount + UserCatchUpChunk - 1) / UserCatchUpChunk;
        int itemChunks = (_itemCount + ItemCatchUpChunk - 1) / ItemCatchUpChunk;
        int planned = 0;
        for (int c = 0, nextUser = 0; c < itemChunks || nextUser < userChunks; c++)
        {
            while (nextUser < userChunks && (c >= itemChunks || (long)nextUser * itemChunks <= (long)c * userChunks))
            {
                _catchUpPlan[planned++] = ~(nextUser++ * UserCatchUpChunk);
            }
            if (c < itemChunks)
            {
                _catchUpPlan[planned++] = c * ItemCatchUpChunk;
            }
        }
        _runner.For(planned, 1, _catchUpMixed);
        Counters.RowsCaughtUp += _userCount + _itemCount;
        Counters.ItemRowsRead += _itemCount;
    }

    /// <summary>Forward and backward per row (parallel; rows write only their own slices). Each chunk lists, in slot
    /// order, the slots whose item receives a gradient.</summary>
    private void ForwardBackward(int size)
    {
        if (_pooling.Enabled)
        {
            _runner.For(size, RowChunk, _scoreRows);
            PoolPositives(size, _userCount);
        }
        _runner.For(size, RowChunk, _forwardRows);
    }

    /// <summary>Groups rows by user and active slots by item, in row then slot order (serial counting sorts); returns
    /// the number of items with a gradient.</summary>
    private int Group(int size)
    {
        Array.Clear(_userRowStart, 0, _userCount + 1);
        for (int r = 0; r < size; r++)
        {
            _userRowStart[_localUser[r] + 1]++;
        }
        for (int q = 0; q < _userCount; q++)
        {
            _userRowStart[q + 1] += _userRowStart[q];
        }
        Array.Copy(_userRowStart, _cursor, _userCount);
        for (int r = 0; r < size; r++)
        {
            _userRowList[_cursor[_localUser[r]]++] = r;
        }

        // Items: each part (a contiguous range of row chunks, one per worker) counts and scatters its own slots;
        // parts are laid out in order within each item, so every item lists its slots in ascending slot order
        // whatever the number of parts.
        _chunks = (size + RowChunk - 1) / RowChunk;
        int parts = _partCount.Length;
        _runner.For(parts, 1, _countItemSlots);
        int touched = 0, running = 0;
        for (int q = 0; q < _itemCount; q++)
        {
            _itemSlotStart[q] = running;
            foreach (int[] count in _partCount)
            {
                int c = count[q];
                count[q] = running;
                running += c;
            }
            if (running > _itemSlotStart[q])
            {
                _touchedItems[touched++] = q;
            }
        }
        _itemSlotStart[_itemCount] = running;
        _runner.For(parts, 1, _scatterItemSlots);
        return touched;
    }

    /// <summary>Sums the data gradients (and the batch's L2) per user and per item in that fixed order (parallel over
    /// table rows).</summary>
    private void SumGradients(int touched)
    {
        _gradient.Clear();
        _gradient.Counts[0] = _userCount;
        _gradient.Counts[1] = touched;
        _runner.For(_userCount, RowChunk, _sumUserGradients);
        _runner.For(touched, RowChunk * 4, _sumItemGradients);
    }

    private void AdamStep(int size, int touched)
    {
        Counters.RowsStepped += _userCount + touched;
        Counters.Steps++;
        Counters.Rows += size;
        Counters.Slots += (long)size * _slots;
        if (_l2InSums)
        {
            _optimizer.StepWithL2Added(_gradient, _rowNormSquared);
        }
        else
        {
            _optimizer.Step(_gradient);
        }
        if (_normsPersist && _encoder.Score == ScoreKind.Cosine)
        {
            _runner.For(touched, RowChunk * 16, _renewItemNorms);
        }
    }
}
