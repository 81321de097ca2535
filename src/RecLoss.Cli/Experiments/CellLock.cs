using System.Globalization;
using System.Text;

namespace RecLoss.Cli.Experiments;

/// <summary>
/// A cell's lock, so that two runners on one spec (or one queue) share its cells instead of training one twice, and
/// status can say "running": the file <c>.running</c> in the cell's run folder, held open with FileShare.None while
/// the cell trains. The operating system keeps that exclusive (flock on Linux) and drops it when the process ends,
/// however it ends, so a lock is never stale. The file is never deleted (a runner could lock a deleted file while
/// another makes a new one); it holds the holder's process id, for people, and is empty when free.
/// </summary>
internal sealed class CellLock : IDisposable
{
    public const string FileName = ".running";

    private readonly FileStream _stream;

    private CellLock(FileStream stream) => _stream = stream;

    public static string PathIn(string runFolder) => Path.Combine(runFolder, FileName);

    /// <summary>Takes the lock of the cell whose run folder is <paramref name="runFolder"/>; null when another
    /// process holds it. A status probing the lock at the same moment holds it for an instant, so a refusal is tried
    /// again twice.</summary>
    public static CellLock? TryTake(string runFolder)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var stream = new FileStream(PathIn(runFolder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                stream.SetLength(0);
                stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
                stream.Flush();
                return new CellLock(stream);
            }
            catch (IOException) when (attempt < 2)
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Whether a process trains the cell now (one holds its lock).</summary>
    public static bool IsHeld(string runFolder)
    {
        if (!File.Exists(PathIn(runFolder)))
        {
            return false;
        }
        try
        {
            using var probe = new FileStream(PathIn(runFolder), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Empties the file and lets the lock go.</summary>
    public void Dispose()
    {
        _stream.SetLength(0);
        _stream.Dispose();
    }
}
