namespace RecLoss.Cli;

/// <summary>Process exit codes (listed in 'recloss --help' and the README).</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The work ran but its check failed (loadtest: some requests were not answered with 200; experiment run: a
    /// cell has a stale result).</summary>
    public const int CheckFailed = 1;
    public const int UsageError = 2;
    public const int DataError = 3;
    public const int TrainingFailed = 4;
    public const int OutputError = 5;

    /// <summary>An exception nobody expected: a bug (BSD's EX_SOFTWARE).</summary>
    public const int Internal = 70;
    public const int Cancelled = 130;
}

/// <summary>A file the run must write cannot be written; the message names the path and the cause.</summary>
public sealed class OutputException(string message) : Exception(message);
