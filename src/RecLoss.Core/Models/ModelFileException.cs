namespace RecLoss.Core.Models;

/// <summary>A model file that cannot be read: the message names the file, the section and what was expected and found.</summary>
public sealed class ModelFileException(string path, string section, string problem)
    : Exception($"{path}: {(section.Length > 0 ? $"section {section}: " : "")}{problem}")
{
    public string FilePath { get; } = path;

    /// <summary>The section's tag ("HEAD", "VECS", ...), or "" for the file's preamble.</summary>
    public string Section { get; } = section;

    public string Problem { get; } = problem;
}
