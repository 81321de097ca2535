namespace RecLoss.Core.Training;

/// <summary>Counts of the work a trainer did.</summary>
public sealed class TrainerCounters
{
    /// <summary>Training rows processed.</summary>
    public long Rows { get; set; }

    /// <summary>(row, item) scores computed: rows x (1 + negatives).</summary>
    public long Slots { get; set; }

    /// <summary>Table rows brought up to date before being read (each may replay several steps).</summary>
    public long RowsCaughtUp { get; set; }

    /// <summary>Table rows given a data-gradient Adam step.</summary>
    public long RowsStepped { get; set; }

    /// <summary>Distinct item rows read by steps (each first brought up to date, which reads and writes its w, m and v).</summary>
    public long ItemRowsRead { get; set; }

    /// <summary>Optimisation steps taken.</summary>
    public long Steps { get; set; }
}

/// <summary>Training produced non-finite parameters.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(string message) : base(message)
    {
    }
}
