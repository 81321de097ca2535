using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// A cell's lock: a file in its run folder holding the id of the process training it, so that status can say
/// "running" and two runners on one spec (or one queue) share its cells instead of training one twice. The file is
/// made with CreateNew, so two runners cannot both take it; a lock whose process has gone (killed, or this very
/// process after a failed cell) is stale and taken over.
/// </summary>
internal static class CellLock
{
    public const string FileName = ".running";

    // A lock file is written right after it is made: one still empty this young belongs to a runner taking it.
    private static readonly TimeSpan s_youngEmpty = TimeSpan.FromSeconds(10);

    public static string PathIn(string runFolder) => Path.Combine(runFolder, FileName);

    /// <summary>Takes the lock in <paramref name="runFolder"/> for this process; false, with the holder's process id,
    /// when another live process holds it.</summary>
    public static bool TryTake(string runFolder, out int holder)
    {
        string path = PathIn(runFolder);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                {
                    stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
                }
                holder = Environment.ProcessId;
                return true;
            }
            catch (IOException) when (File.Exists(path) && attempt < 3)
            {
                if (Holder(runFolder) is int other)
                {
                    holder = other;
                    return false;
                }
                File.Delete(path);   // stale
            }
        }
    }

    public static void Release(string runFolder) => File.Delete(PathIn(runFolder));

    /// <summary>The id of the live process, other than this one, that holds the lock in <paramref name="runFolder"/>;
    /// null when there is no lock or it is stale. A lock just made and not yet written counts as held (id 0).</summary>
    public static int? Holder(string runFolder)
    {
        string path = PathIn(runFolder);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return text.Length == 0 && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < s_youngEmpty ? 0 : null;
        }
        if (pid == Environment.ProcessId)
        {
            return null;   // this process trains one cell at a time: its own lock here is a failed cell's leftover
        }
        try
        {
            using Process process = Process.GetProcessById(pid);
            return process.HasExited ? null : pid;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
