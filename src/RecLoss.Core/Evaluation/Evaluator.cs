using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RecLoss.Core.Data;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Evaluation;

/// <summary>Result of one full-ranking evaluation.</summary>
public sealed record EvaluationResult(int Users, int SkippedUsers, IReadOnlyList<MetricsAtK> Metrics, double Seconds)
{
    public MetricsAtK At(int k) => Metrics.First(m => m.K == k);
}

/// <summary>Options of the full-ranking evaluator.</summary>
public sealed class EvaluatorOptions
{
    /// <summary>Cut-offs K (each >= 1).</summary>
    public IReadOnlyList<int> Ks { get; init; } = Defaults.Ks;

    /// <summary>Items scored per block (a multiple of 32); a block of packed items should fit the L2 cache.</summary>
    public int ItemBlock { get; init; } = Defaults.ItemBlock;

    /// <summary>Users per parallel job (a multiple of the 6-user scoring tile keeps every user on the fast path).</summary>
    public int UserBlock { get; init; } = Defaults.UserBlock;

    /// <remarks>
    /// 240 users x 256 items: the job's user rows (60 KiB), one item block (64 KiB) and the block of scores (240 KiB)
    /// stay in a 512 KiB L2 together, and each job streams the item table once for 240 users instead of 60
    /// (TopKBenchmarks: 181 ms against 245 ms for the former 60 x 1,024; docs/PERFORMANCE.md).
    /// </remarks>
    public static class Defaults
    {
        public static readonly int[] Ks = [10, 20, 50];
        public const int ItemBlock = 256;
        public const int UserBlock = 240;
    }
}

/// <summary>Full ranking over all items with known positives masked; Recall, NDCG, Precision, HitRate and MRR at several K.</summary>
/// <remarks>
/// Scores come from a register-tiled product of user rows with blocks of packed item rows
/// (<see cref="BlockedScoring"/>); masked items are set to -inf and a size-K heap per user filters each block while it
/// is hot in cache. Users without truth items are skipped and counted. Ties rank the lower item index first.
/// </remarks>
public sealed class Evaluator
{
    private readonly EvaluatorOptions _options;
    private readonly ParallelRunner _runner;

    public Evaluator(EvaluatorOptions options, ParallelRunner runner)
    {
        if (options.Ks.Count == 0 || options.Ks.Any(k => k < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Every K must be at least 1.");
        }
        if (options.ItemBlock <= 0 || options.ItemBlock % BlockedScoring.ItemTile != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ItemBlock, $"ItemBlock must be a positive multiple of {BlockedScoring.ItemTile}.");
        }
        _options = options;
        _runner = runner;
    }

    /// <param name="mask">Items never recommended to a user (its train items, or train and validation).</param>
    /// <param name="truth">The held-out items per user.</param>
    public EvaluationResult Evaluate(FactorModel model, InteractionMatrix mask, InteractionMatrix truth)
    {
        var clock = Stopwatch.StartNew();
        int[] users = Enumerable.Range(0, truth.UserCount).Where(u => truth.RowLength(u) > 0).ToArray();
        var total = new RankingMetrics(_options.Ks);
        int maxK = total.MaxK;
        float[][] itemBlocks = PackItems(model, _options.ItemBlock, _runner);
        int jobs = (users.Length + _options.UserBlock - 1) / _options.UserBlock;
        var partial = new RankingMetrics[jobs];
        _runner.For(jobs, 1, (start, end) =>
        {
            for (int job = start; job < end; job++)
            {
                int first = job * _options.UserBlock;
                int count = Math.Min(_options.UserBlock, users.Length - first);
                partial[job] = EvaluateBlock(model, mask, truth, users.AsSpan(first, count), itemBlocks, maxK);
            }
        });
        foreach (RankingMetrics p in partial)
        {
            total.Add(p);
        }
        return new EvaluationResult(users.Length, truth.UserCount - users.Length, total.Averages(), clock.Elapsed.TotalSeconds);
    }

    private RankingMetrics EvaluateBlock(FactorModel model, InteractionMatrix mask, InteractionMatrix truth, ReadOnlySpan<int> users,
        float[][] itemBlocks, int maxK)
    {
        int dim = model.Dim, block = _options.ItemBlock, n = users.Length;
        var userRows = new float[n * dim];                 // [n, dim]
        for (int j = 0; j < n; j++)
        {
            model.User(users[j]).CopyTo(userRows.AsSpan(j * dim, dim));
        }
        var heapScores = new float[n * maxK];              // [n, maxK]
        var heapItems = new int[n * maxK];
        var heapCounts = new int[n];
        var maskCursor = new int[n];
        var scores = new float[n * block];                 // [n, block]
        for (int b = 0; b < itemBlocks.Length; b++)
        {
            int blockStart = b * block;
            int width = Math.Min(block, model.ItemCount - blockStart);
            BlockedScoring.Score(userRows, n, dim, itemBlocks[b], block, scores);
            for (int j = 0; j < n; j++)
            {
                Span<float> row = scores.AsSpan(j * block, width);
                // Masked items: walk the sorted mask row with a cursor, block by block.
                ReadOnlySpan<int> masked = mask.Row(users[j]);
                int c = maskCursor[j];
                while (c < masked.Length && masked[c] < blockStart + width)
                {
                    row[masked[c] - blockStart] = float.NegativeInfinity;
                    c++;
                }
                maskCursor[j] = c;
                heapCounts[j] = PushBlock(row, blockStart, heapScores.AsSpan(j * maxK, maxK), heapItems.AsSpan(j * maxK, maxK), heapCounts[j]);
            }
        }
        var metrics = new RankingMetrics(_options.Ks);
        for (int j = 0; j < n; j++)
        {
            Span<float> s = heapScores.AsSpan(j * maxK, maxK);
            Span<int> items = heapItems.AsSpan(j * maxK, maxK);
            TopKHeap.SortDescending(s, items, heapCounts[j]);
            metrics.Add(items[..heapCounts[j]], truth.Row(users[j]));
            RankingObserver?.Invoke(users[j], items[..heapCounts[j]].ToArray());
        }
        return metrics;
    }

    /// <summary>Test hook: receives each evaluated user's ranked top items (the largest K) as the metrics read them.</summary>
    internal Action<int, int[]>? RankingObserver { get; init; }

    /// <summary>Offers a block of scores to a heap; once full, a vector compare skips scores below its worst entry.</summary>
    internal static int PushBlock(ReadOnlySpan<float> row, int blockStart, Span<float> heapScores, Span<int> heapItems, int count)
    {
        int capacity = heapScores.Length;
        int i = 0;
        while (i < row.Length && count < capacity)
        {
            if (row[i] != float.NegativeInfinity)
            {
                count = TopKHeap.Push(heapScores, heapItems, count, row[i], blockStart + i);
            }
            i++;
        }
        if (Vector512.IsHardwareAccelerated)
        {
            count = PushAbove<Lanes512, Vector512<float>>(row, blockStart, heapScores, heapItems, count, ref i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            count = PushAbove<Lanes256, Vector256<float>>(row, blockStart, heapScores, heapItems, count, ref i);
        }
        for (; i < row.Length; i++)
        {
            if (row[i] >= heapScores[0])
            {
                count = TopKHeap.Push(heapScores, heapItems, count, row[i], blockStart + i);
            }
        }
        return count;
    }

    /// <summary>Whole vectors of the row from <paramref name="i"/> on: only lanes at or above the heap's worst entry are pushed.</summary>
    private static int PushAbove<TL, TV>(ReadOnlySpan<float> row, int blockStart, Span<float> heapScores, Span<int> heapItems, int count, ref int i)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float rowRef = ref MemoryMarshal.GetReference(row);
        for (; i + TL.Count <= row.Length; i += TL.Count)
        {
            // Ties with the worst entry may still enter (lower index), hence >=.
            ulong bits = TL.GreaterThanOrEqualMask(TL.Load(ref rowRef, (nuint)i), TL.Broadcast(heapScores[0]));
            while (bits != 0)
            {
                int lane = BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                count = TopKHeap.Push(heapScores, heapItems, count, row[i + lane], blockStart + i + lane);
            }
        }
        return count;
    }

    /// <summary>Item rows as blocks of [dim, block] columns, zero-padded past the last item.</summary>
    internal static float[][] PackItems(FactorModel model, int block, ParallelRunner runner)
    {
        int blocks = (model.ItemCount + block - 1) / block;
        var result = new float[blocks][];
        int dim = model.Dim;
        runner.For(blocks, 1, (start, end) =>
        {
            for (int b = start; b < end; b++)
            {
                var t = new float[dim * block];
                int first = b * block, width = Math.Min(block, model.ItemCount - first);
                BlockedScoring.Pack(model.ItemFactors.AsSpan(first * dim, width * dim), width, dim, t);
                result[b] = t;
            }
        });
        return result;
    }
}
