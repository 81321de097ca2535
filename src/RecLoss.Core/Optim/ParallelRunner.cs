namespace RecLoss.Core.Optim;

/// <summary>Runs work over fixed chunks of an index range on up to <see cref="Threads"/> threads, without allocating.</summary>
/// <remarks>
/// Chunk boundaries depend only on the range and the chunk size, never on the thread count, and each chunk writes
/// only its own outputs: together with reductions done afterwards in chunk order this keeps results identical
/// whatever the number of threads. The calling thread works too; helpers come from one process-wide pool of
/// background threads that wait on a semaphore between jobs, so a job costs no allocation (callers pass cached
/// delegates). Jobs from different runners are serialised; a body must not start another job.
/// </remarks>
public sealed class ParallelRunner
{
    public ParallelRunner(int threads)
    {
        Threads = ThreadsFor(threads);
    }

    /// <summary>The thread count a runner asked for <paramref name="asked"/> uses: 0 (or less) means every core.</summary>
    public static int ThreadsFor(int asked) => asked <= 0 ? Environment.ProcessorCount : asked;

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
        WorkerPool.Run(Math.Min(Threads, chunks), count, chunkSize, body, null);
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
        WorkerPool.Run(groups, count, chunkSize, null, body);
    }

    /// <summary>The process-wide helper threads and the one job they share.</summary>
    private static class WorkerPool
    {
        private static readonly object s_jobLock = new();
        private static readonly List<SemaphoreSlim> s_wake = new();
        private static readonly ManualResetEventSlim s_done = new(false);
        private static Action<int, int>? s_body;
        private static Action<int, int, int>? s_workerBody;
        private static int s_count, s_chunkSize, s_chunks, s_participants, s_nextChunk, s_remaining;
        private static Exception? s_error;

        public static void Run(int participants, int count, int chunkSize, Action<int, int>? body, Action<int, int, int>? workerBody)
        {
            lock (s_jobLock)
            {
                while (s_wake.Count < participants - 1)
                {
                    var wake = new SemaphoreSlim(0);
                    int index = s_wake.Count + 1;
                    s_wake.Add(wake);
                    new Thread(() => WorkerLoop(index, wake)) { IsBackground = true, Name = $"recloss-worker-{index}" }.Start();
                }
                s_body = body;
                s_workerBody = workerBody;
                s_count = count;
                s_chunkSize = chunkSize;
                s_chunks = (count + chunkSize - 1) / chunkSize;
                s_participants = participants;
                s_nextChunk = 0;
                s_error = null;
                s_remaining = participants - 1;
                s_done.Reset();
                for (int w = 0; w < participants - 1; w++)
                {
                    s_wake[w].Release();
                }
                Work(0);
                s_done.Wait();
                s_body = null;
                s_workerBody = null;
                if (s_error is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(s_error);
                }
            }
        }

        private static void WorkerLoop(int index, SemaphoreSlim wake)
        {
            while (true)
            {
                wake.Wait();
                Work(index);
                if (Interlocked.Decrement(ref s_remaining) == 0)
                {
                    s_done.Set();
                }
            }
        }

        private static void Work(int participant)
        {
            try
            {
                if (s_workerBody is { } grouped)
                {
                    // Static grouping: participant p owns chunks [p * chunks / P, (p + 1) * chunks / P).
                    int first = (int)((long)participant * s_chunks / s_participants);
                    int last = (int)((long)(participant + 1) * s_chunks / s_participants);
                    for (int c = first; c < last; c++)
                    {
                        grouped(c * s_chunkSize, Math.Min(s_count, (c + 1) * s_chunkSize), participant);
                    }
                    return;
                }
                Action<int, int> body = s_body!;
                int chunk;
                while ((chunk = Interlocked.Increment(ref s_nextChunk) - 1) < s_chunks)
                {
                    body(chunk * s_chunkSize, Math.Min(s_count, (chunk + 1) * s_chunkSize));
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_error, e, null);
            }
        }
    }
}
