using Microsoft.Extensions.Logging;
using RecLoss.Core.Models;
using RecLoss.Core.Serving;

namespace RecLoss.Serving;

/// <summary>One loaded model with what answers requests about it; immutable, shared by every request that began while it was current.</summary>
public sealed class ServedModel
{
    internal ServedModel(string path, TrainedModel model, long generation)
    {
        Path = path;
        Model = model;
        Recommender = new Recommender(model);
        FoldIn = new FoldIn(model);
        Generation = generation;
        LoadedAt = DateTimeOffset.UtcNow;
        FileBytes = new FileInfo(path).Length;
    }

    public string Path { get; }

    public TrainedModel Model { get; }

    public Recommender Recommender { get; }

    public FoldIn FoldIn { get; }

    /// <summary>1 for the model loaded at start, then one more per successful reload.</summary>
    public long Generation { get; }

    public DateTimeOffset LoadedAt { get; }

    public long FileBytes { get; }
}

/// <summary>
/// Holds the served model and swaps it atomically: a reload (the file changed on disk, or POST /admin/reload) loads
/// and checks the new file completely first; a request reads <see cref="Current"/> once and keeps that model to its
/// end, so requests never wait on a reload and never see half of one. A file that fails to load is refused and the
/// old model keeps serving. Reloads take a lock among themselves only; the scoring path takes none.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly string _path;
    private readonly ILogger _log;
    private readonly Lock _reloading = new();
    private FileSystemWatcher? _watcher;
    private readonly Timer _debounce;
    private ServedModel _current;

    /// <exception cref="ModelFileException">The model file cannot be loaded at start.</exception>
    public ModelHost(string path, ILogger log, bool watch)
    {
        _path = System.IO.Path.GetFullPath(path);
        _log = log;
        _current = new ServedModel(_path, ModelFile.Load(_path), 1);
        _debounce = new Timer(_ => Reload("the file changed on disk"));
        if (watch)
        {
            _watcher = new FileSystemWatcher(System.IO.Path.GetDirectoryName(_path)!, System.IO.Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler changed = (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
            _watcher.Changed += changed;
            _watcher.Created += changed;
            _watcher.Renamed += (_, e) => changed(this, e);
            try
            {
                _watcher.EnableRaisingEvents = true;
            }
            catch (IOException e)
            {
                // inotify's limit reached: serve without watching; POST /admin/reload still reloads.
                _log.LogWarning("cannot watch {Path} for changes ({Error}); reload it with POST /admin/reload", _path, e.Message);
                _watcher.Dispose();
                _watcher = null;
            }
        }
    }

    public ServedModel Current => Volatile.Read(ref _current);

    /// <summary>The last reload that failed, cleared by a successful one.</summary>
    public string? LastError { get; private set; }

    /// <summary>Loads the file again; returns the model now served and the error if the new file was refused.</summary>
    public (ServedModel Model, string? Error) Reload(string reason)
    {
        lock (_reloading)
        {
            try
            {
                TrainedModel model = ModelFile.Load(_path);
                var next = new ServedModel(_path, model, Current.Generation + 1);
                Volatile.Write(ref _current, next);
                LastError = null;
                _log.LogInformation("reloaded {Path} ({Reason}): generation {Generation}, {Users} users, {Items} items", _path, reason, next.Generation, model.Users.Count, model.Items.Count);
                return (next, null);
            }
            catch (Exception e) when (e is not OutOfMemoryException)   // any failure keeps the old model: this also runs on a timer thread
            {
                LastError = $"{DateTimeOffset.UtcNow:O}: {e.Message}";
                _log.LogWarning("refused to reload {Path} ({Reason}); still serving generation {Generation}: {Error}", _path, reason, Current.Generation, e.Message);
                return (Current, e.Message);
            }
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce.Dispose();
    }
}
