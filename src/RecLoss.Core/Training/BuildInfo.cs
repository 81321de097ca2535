using System.Reflection;

namespace RecLoss.Core.Training;

/// <summary>The commit this binary was built from, stamped at build time (Directory.Build.props), not read from the working directory.</summary>
public static class BuildInfo
{
    private static readonly Assembly s_assembly = typeof(BuildInfo).Assembly;

    /// <summary>The 40-hex commit, or null when the build had no git repository.</summary>
    public static string? Commit { get; } = Metadata("RecLossCommit") is { Length: 40 } commit ? commit : null;

    /// <summary>True when the work tree differed from <see cref="Commit"/> at build time (modified or untracked files).</summary>
    public static bool Dirty { get; } = Metadata("RecLossDirty") == "true";

    public static string Version { get; } = s_assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>"recloss 0.1.0 (commit 0123abcd..., with uncommitted changes)".</summary>
    public static string Describe() =>
        $"recloss {Version} (" + (Commit is null ? "commit unknown: built outside a git checkout" : $"commit {Commit}{(Dirty ? ", with uncommitted changes" : "")}") + $"; .NET {Environment.Version})";

    private static string? Metadata(string key) =>
        s_assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
