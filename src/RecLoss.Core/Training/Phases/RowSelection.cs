using RecLoss.Core.Encoders;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// For encoders whose steps read few rows: the rows of each block a step reads (caught up before the forward pass)
/// and, of those, the rows with a nonzero gradient (stepped now; the others replay later, the same arithmetic).
/// </summary>
public sealed class RowSelection(IReadOnlyList<ParameterBlock> blocks)
{
    private readonly IReadOnlyList<ParameterBlock> _blocks = blocks;

    public RowSet[] Read { get; } = blocks.Select(p => new RowSet(p.Rows)).ToArray();

    public RowSet[] Stepped { get; } = blocks.Select(p => new RowSet(p.Rows)).ToArray();

    public void Collect(IEncoder encoder, StepBatch batch)
    {
        foreach (RowSet set in Read)
        {
            set.Clear();
        }
        encoder.CollectRows(batch.ActiveUsers, batch.ActiveItems, Read);
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
                Array.Clear(block.Gradient);
                continue;
            }
            foreach (int row in Stepped[p].Rows)
            {
                block.Gradient.AsSpan(row * block.Cols, block.Cols).Clear();
            }
        }
    }

    /// <summary>The read rows whose gradient is not all zero.</summary>
    public RowSet[] SelectStepped()
    {
        for (int p = 0; p < _blocks.Count; p++)
        {
            ParameterBlock block = _blocks[p];
            RowSet stepped = Stepped[p];
            stepped.Clear();
            foreach (int row in Read[p].Rows)
            {
                if (block.Gradient.AsSpan(row * block.Cols, block.Cols).ContainsAnyExcept(0f))
                {
                    stepped.Add(row);
                }
            }
        }
        return Stepped;
    }
}
