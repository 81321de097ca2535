namespace RecLoss.Cli;

/// <summary>Process exit codes.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UsageError = 2;
    public const int DataError = 3;
    public const int TrainingFailed = 4;
    public const int Cancelled = 130;
}
