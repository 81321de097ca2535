using System.Text;

namespace RecLoss.Core;

/// <summary>Writes a file whole or not at all: into a temporary file of its own beside the target (a unique name, so
/// two writers never share one), flushed to disk, then renamed over the target. A failed write leaves the old file.</summary>
public static class AtomicFile
{
    /// <exception cref="IOException">The folder is missing or a file, the target is a folder, or the write failed; the
    /// message names the target, never the temporary file.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        string shownFolder = Path.GetDirectoryName(path) is { Length: > 0 } given ? given : folder;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(File.Exists(folder) ? $"'{shownFolder}' is a file, not a folder" : $"the folder '{shownFolder}' does not exist");
        }
        if (Directory.Exists(full))
        {
            throw new IOException($"'{path}' is a folder");
        }
        string temp = Path.Combine(folder, $".{Shortened(Path.GetFileName(full))}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
            // The temporary name means nothing to the caller: name the target instead.
            if (e.Message.Contains(temp, StringComparison.Ordinal))
            {
                string message = e.Message.Replace(temp, path, StringComparison.Ordinal);
                throw e switch
                {
                    UnauthorizedAccessException => new UnauthorizedAccessException(message, e),
                    DirectoryNotFoundException => new DirectoryNotFoundException(message, e),
                    PathTooLongException => new PathTooLongException(message, e),
                    _ => new IOException(message, e),
                };
            }
            throw;
        }
    }

    /// <summary>The target's name cut to 200 UTF-8 bytes, so that the temporary name (about 50 more) fits where the
    /// target's does: file systems here allow 255 bytes per name.</summary>
    private static string Shortened(string name)
    {
        int length = name.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(name.AsSpan(0, length)) > 200)
        {
            length--;
        }
        if (length > 0 && char.IsHighSurrogate(name[length - 1]))
        {
            length--;   // never half a surrogate pair
        }
        return name[..length];
    }

    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        writer.Write(text);
    });
}
