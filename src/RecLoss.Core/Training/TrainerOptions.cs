namespace RecLoss.Core.Training;

/// <summary>Options of the training loop. Defaults are the MML paper's MF settings on Yelp2018.</summary>
public sealed class TrainerOptions
{
    /// <summary>Passes over the train interactions (int, >= 1). Reference: 100.</summary>
    public int Epochs { get; init; } = Defaults.Epochs;

    /// <summary>Training rows per step (int, >= 1); the last partial batch is kept. Yelp2018: 512.</summary>
    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Negatives per training row (int, >= 1). MML paper: 100.</summary>
    public int Negatives { get; init; } = Defaults.Negatives;

    /// <summary>Dropout probability on the normalised user vector in training (in [0, 1)). Reference: 0.1.</summary>
    public double Dropout { get; init; } = Defaults.Dropout;

    /// <summary>With the cosine score, drop out the raw user vector before normalising it, as the BSL code does,
    /// instead of the normalised one, as the MML and SimpleX code do (the default). MF's trainer only.</summary>
    public bool DropoutBeforeNormalisation { get; init; }

    /// <summary>Exclude each user's train positives from its negatives (the reference does not).</summary>
    public bool ExcludePositives { get; init; }

    /// <summary>Seed of every random draw: initialisation, shuffling, negatives and dropout.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Worker threads (0 = all cores). Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Evaluate every this many epochs (int, >= 1); the last epoch is always evaluated.</summary>
    public int EvaluateEvery { get; init; } = Defaults.EvaluateEvery;

    /// <summary>Recompute every read item's norm at every step even when the optimizer leaves idle rows alone (tests
    /// compare the two ways).</summary>
    internal bool RecomputeItemNormsEveryStep { get; init; }

    /// <summary>Score in-batch-all slots one by one as with every other sampler, not as dense products (tests compare
    /// the two ways).</summary>
    internal bool GatheredInBatchAll { get; init; }

    public static class Defaults
    {
        public const int Epochs = 100;
        public const int BatchSize = 512;
        public const int Negatives = 100;
        public const double Dropout = 0.1;
        public const ulong Seed = 2019;
        public const int EvaluateEvery = 1;
    }

    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range; the message names it.</exception>
    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        }
        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        }
        if (Negatives < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Negatives), Negatives, "The number of negatives must be at least 1.");
        }
        ArgumentRange.Check(Dropout, 0, 1, "Dropout", maxExclusive: true);
        if (Threads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be >= 0 (0 = all cores).");
        }
        if (EvaluateEvery < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EvaluateEvery), EvaluateEvery, "EvaluateEvery must be at least 1.");
        }
    }
}

/// <summary>Progress within an epoch, reported a few times per second at most.</summary>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, long Rows, double MeanLoss, double Seconds);

/// <summary>What the training loop reports to a front end; the core never writes to a console.</summary>
public interface ITrainingObserver
{
    void OnBatch(in BatchProgress progress);

    void OnEpoch(EpochRecord record);
}
