namespace RecLoss.Core.Data;

/// <summary>Input that cannot be read as the expected format; the message names the file, the line and the problem.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string filePath, long lineNumber, string problem)
        : base(lineNumber > 0 ? $"{filePath}:{lineNumber}: {problem}" : $"{filePath}: {problem}")
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Problem = problem;
    }

    public string FilePath { get; }

    /// <summary>1-based line number, or 0 when the problem concerns the whole file.</summary>
    public long LineNumber { get; }

    public string Problem { get; }
}
