namespace RecLoss.Core.Training.Phases;

/// <summary>The rows of one step: users, their positives, each row's item slots (positive first) and dropout masks.</summary>
/// <remarks>Allocated once for the largest batch; <see cref="Size"/> rows are in use. With
/// <paramref name="slotsFromTargets"/> every slot holds one of the batch's positives (in-batch-all read as dense
/// products), so the slots are not written out and <see cref="Items"/> is empty.</remarks>
public sealed class StepBatch(int capacity, int slots, int dim, int candidates = 0, bool slotsFromTargets = false)
{
    /// <summary>Hard-negative candidates per row (0 without hard negatives).</summary>
    public int CandidateCount { get; } = candidates;

    /// <summary>[B, candidates]: drawn uniformly outside the user's items; the top-scored fill the hard slots.</summary>
    public int[] Candidates { get; } = new int[capacity * candidates];

    public ReadOnlySpan<int> ActiveCandidates => Candidates.AsSpan(0, Size * CandidateCount);

    public int Slots { get; } = slots;

    public int Dim { get; } = dim;

    /// <summary>The epoch (1-based) and the position of the batch's first row in the epoch's order.</summary>
    public int Epoch { get; set; }

    public int Start { get; set; }

    public int Size { get; set; }

    public int[] Users { get; } = new int[capacity];

    public int[] Targets { get; } = new int[capacity];

    /// <summary>The slots' items are the batch's positives and are not written out (see the remarks).</summary>
    public bool SlotsFromTargets { get; } = slotsFromTargets;

    /// <summary>[B, slots]: the positive, then the negatives; empty when <see cref="SlotsFromTargets"/>.</summary>
    public int[] Items { get; } = new int[slotsFromTargets ? 0 : capacity * slots];

    /// <summary>[B, dim]: per-coordinate factor on the normalised user vector (0 or 1/(1-p)).</summary>
    public float[] Dropout { get; } = new float[capacity * dim];

    public ReadOnlySpan<int> ActiveUsers => Users.AsSpan(0, Size);

    public ReadOnlySpan<int> ActiveTargets => Targets.AsSpan(0, Size);

    /// <summary>Every slot's item, one per occurrence.</summary>
    public ReadOnlySpan<int> ActiveItems => !SlotsFromTargets ? Items.AsSpan(0, Size * Slots)
        : throw new InvalidOperationException("The batch's slots are its positives and are not written out; read ActiveTargets.");

    /// <summary>The items the step reads, each at least once (not per occurrence).</summary>
    public ReadOnlySpan<int> ReadItems => SlotsFromTargets ? ActiveTargets : ActiveItems;
}
