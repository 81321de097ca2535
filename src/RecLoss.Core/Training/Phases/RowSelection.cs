using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// For encoders whose steps read few rows: the rows of each block a step reads (caught up before the forward pass)
/// and, of those, the rows with a nonzero gradient (stepped now; the others replay later, the same arithmetic).
/// </summary>
public sealed class RowSelection
{
    private readonly IReadOnlyList<ParameterBlock> _blocks;
    private readonly ParallelRunner _runner;
    private readonly Action<int, int> _flagChunk;
    private bool[] _hasGradient = [];
    private ParameterBlock _flagBlock = null!;
    private int[] _flagRows = [];
    private readonly RowSet[] _candidates;

    public RowSelection(IReadOnlyList<ParameterBlock> blocks, ParallelRunner runner)
    {
        _blocks = blocks;
        _runner = runner;
        Read = [.. blocks.Select(p => new RowSet(p.Rows))];
        _candidates = [.. blocks.Select(p => new RowSet(p.Rows))];
        Stepped = [.. blocks.Select(p => new RowSet(p.Rows))];
        _flagChunk = FlagChunk;
    }

    public RowSet[] Read { get; }

    public RowSet[] Stepped { get; }

    public void Collect(IEncoder encoder, StepBatch batch)
    {
        foreach (RowSet set in Read)
        {
            set.Clear();
        }
        encoder.CollectRows(batch.ActiveUsers, batch.ReadItems, Read);
        if (batch.CandidateCount > 0)
        {
            encoder.CollectRows([], batch.ActiveCandidates, Read);   // hard candidates are scored, so read
        }
        foreach (RowSet set in Read)
        {
            // Ascending rows: the catch-up and the step then walk each table forward, which the prefetchers follow.
            set.SortAscending();
        }
    }

    /// <summary>
    /// Zeroes the gradient rows before the backward pass: dense blocks whole; of the embedding blocks only the rows the
    /// previous step stepped, since every other row is still zero (a read row without a gradient stayed zero, and the
    /// optimizer writes only into the rows it steps).
    /// </summary>
    public void ClearGradients()
    {
        for (int p = 0; p < _blocks.Count; p++)
        {
            ParameterBlock block = _blocks[p];
            if (!block.IsEmbeddingTable)
            {
                block.Gradient.Clear();
                continue;
            }
            foreach (int row in Stepped[p].Rows)
            {
                block.Gradient.AsSpan(row * block.Cols, block.Cols).Clear();
            }
        }
    }

    /// <summary>
    /// The rows whose gradient is not all zero, ascending. Only rows the backward pass can have written are scanned
    /// (in parallel): the batch users, the items with a gradient and what the encoder reads for them; with the batch's
    /// L2 every read row.
    /// </summary>
    public RowSet[] SelectStepped(IEncoder encoder, StepBatch batch, ReadOnlySpan<int> itemRows, bool batchL2)
    {
        RowSet[] candidates = Read;
        if (!batchL2)
        {
            foreach (RowSet set in _candidates)
            {
                set.Clear();
            }
            encoder.CollectRows(batch.ActiveUsers, itemRows, _candidates);
            foreach (RowSet set in _candidates)
            {
                set.SortAscending();
            }
            candidates = _candidates;
        }
        for (int p = 0; p < _blocks.Count; p++)
        {
            RowSet read = candidates[p], stepped = Stepped[p];
            stepped.Clear();
            if (_hasGradient.Length < read.Count)
            {
                _hasGradient = new bool[Math.Max(read.Count, 2 * _hasGradient.Length)];
            }
            (_flagBlock, _flagRows) = (_blocks[p], read.Buffer);
            _runner.For(read.Count, 1024, _flagChunk);
            for (int k = 0; k < read.Count; k++)
            {
                if (_hasGradient[k])
                {
                    stepped.Add(_flagRows[k]);
                }
            }
        }
        return Stepped;
    }

    private void FlagChunk(int start, int end)
    {
        FloatBuffer gradient = _flagBlock.Gradient;
        int cols = _flagBlock.Cols;
        for (int k = start; k < end; k++)
        {
            _hasGradient[k] = gradient.AsSpan(_flagRows[k] * cols, cols).ContainsAnyExcept(0f);
        }
    }
}
