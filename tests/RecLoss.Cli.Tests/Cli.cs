using RecLoss.Cli;

namespace RecLoss.Cli.Tests;

/// <summary>Runs the CLI in process and checks what holds for every answer: no stack frame, no .NET parameter wording,
/// and a failure always starts with "error: ".</summary>
internal static class Cli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(args, output, error, live: false);
        string err = error.ToString();
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("(Parameter '", err);
        Assert.True(code == 0 || err.StartsWith("error: ", StringComparison.Ordinal) || args.Length == 0, $"exit {code} without an error line: {err}");
        return (code, output.ToString(), err);
    }
}

/// <summary>A temporary folder for a test's files, deleted afterwards.</summary>
public abstract class WithTempFolder : IDisposable
{
    protected string Folder { get; } = Directory.CreateTempSubdirectory("recloss-cli-").FullName;

    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A LightGCN split folder with the given train.txt and test.txt.</summary>
    protected string SplitFolder(string train, string test)
    {
        string dir = Path.Combine(Folder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "train.txt"), train);
        File.WriteAllText(Path.Combine(dir, "test.txt"), test);
        return dir;
    }

    protected string Csv(string text)
    {
        string path = Path.Combine(Folder, Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(path, text);
        return path;
    }
}
