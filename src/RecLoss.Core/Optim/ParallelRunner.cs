namespace RecLoss.Core.Optim;

/// <summary>Runs work over fixed chunks of an index range on up to <see cref="Threads"/> threads.</summary>
/// <remarks>
/// Chunk boundaries depend only on the range and the chunk size, never on the thread count, and each chunk writes
/// only its own outputs: together with reductions done afterwards in chunk order this keeps results identical
/// whatever the number of threads.
/// </remarks>
public sealed class ParallelRunner
{
    private readonly ParallelOptions _options;

    public ParallelRunner(int threads)
    {
        Threads = threads <= 0 ? Environment.ProcessorCount : threads;
        _options = new ParallelOptions { MaxDegreeOfParallelism = Threads };
    }

    public int Threads { get; }

    /// <summary>Calls <paramref name="body"/>(start, end) for consecutive chunks of [0, count).</summary>
    public void For(int count, int chunkSize, Action<int, int> body)
    {
        int chunks = (count + chunkSize - 1) / chunkSize;
        if (chunks <= 1 || Threads == 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                body(c * chunkSize, Math.Min(count, (c + 1) * chunkSize));
            }
            return;
        }
        Parallel.For(0, chunks, _options, c => body(c * chunkSize, Math.Min(count, (c + 1) * chunkSize)));
    }

    /// <summary>
    /// As <see cref="For"/>, and also passes a worker index in [0, Threads): consecutive chunks are grouped into one
    /// group per worker, so a worker may keep scratch state whose merge is order-independent (such as a bitmap).
    /// </summary>
    public void ForWorkers(int count, int chunkSize, Action<int, int, int> body)
    {
        int chunks = (count + chunkSize - 1) / chunkSize;
        int groups = Math.Min(Threads, chunks);
        if (groups <= 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                body(c * chunkSize, Math.Min(count, (c + 1) * chunkSize), 0);
            }
            return;
        }
        Parallel.For(0, groups, _options, w =>
        {
            for (int c = (int)((long)w * chunks / groups); c < (int)((long)(w + 1) * chunks / groups); c++)
            {
                body(c * chunkSize, Math.Min(count, (c + 1) * chunkSize), w);
            }
        });
    }
}
