using System.Buffers;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Serving;

/// <summary>One recommended item: its index in the model and its score.</summary>
public readonly record struct ScoredItem(int Item, float Score);

/// <summary>The top items, best first, and why there are fewer than asked when there are (null otherwise).</summary>
public sealed record Recommendations(IReadOnlyList<ScoredItem> Items, string? Shortfall);

/// <summary>What a recommendation leaves out and how many it returns.</summary>
public sealed record RecommendOptions
{
    public int K { get; init; } = 20;

    /// <summary>Leave out the items the user interacted with in training (default true).</summary>
    public bool ExcludeSeen { get; init; } = true;

    /// <summary>Only these items may be recommended (null: every item).</summary>
    public IReadOnlySet<int>? Allow { get; init; }

    /// <summary>These items are never recommended.</summary>
    public IReadOnlySet<int>? Deny { get; init; }
}

/// <summary>
/// Top-K recommendations and similar items from a <see cref="TrainedModel"/>: the items packed once into the
/// evaluator's register-tiled panels, a user scored block by block with a size-K heap fed only by scores at or above
/// its worst entry, ties to the lower item index (the evaluator's order). Thread-safe: every call uses its own
/// scratch (stack or pool), the model is never written, and no lock is taken.
/// </summary>
public sealed class Recommender
{
    private const int Block = EvaluatorOptions.Defaults.ItemBlock;
    private const int UsersPerChunk = 64;
    private readonly float[][] _panels;

    public Recommender(TrainedModel model, ParallelRunner? runner = null)
    {
        Model = model;
        _panels = Evaluator.PackItems(model.Factors, Block, runner ?? new ParallelRunner(1));
    }

    public TrainedModel Model { get; }

    public int ItemCount => Model.Factors.ItemCount;

    /// <summary>The top K for a user of the model.</summary>
    public Recommendations ForUser(int user, RecommendOptions options)
    {
        ReadOnlySpan<int> seen = options.ExcludeSeen ? Model.Seen.Row(user) : [];
        return ForVector(Model.Factors.User(user), seen, options);
    }

    /// <summary>The top K for a user vector (a folded-in user), leaving out <paramref name="exclude"/> (ascending).</summary>
    public Recommendations ForVector(ReadOnlySpan<float> vector, ReadOnlySpan<int> exclude, RecommendOptions options)
    {
        if (vector.Length != Model.Dim)
        {
            throw new ArgumentException($"the vector has {vector.Length} values, the model's dimension is {Model.Dim}", nameof(vector));
        }
        int k = Math.Min(options.K, ItemCount);
        float[] heapScores = ArrayPool<float>.Shared.Rent(k);
        int[] heapItems = ArrayPool<int>.Shared.Rent(k);
        try
        {
            Span<float> row = stackalloc float[Block];
            int count = 0;
            for (int b = 0; b < _panels.Length; b++)
            {
                BlockedScoring.Score(vector, 1, Model.Dim, _panels[b], Block, row);
                count = Offer(row, b * Block, exclude, options, heapScores.AsSpan(0, k), heapItems.AsSpan(0, k), count);
            }
            return Finish(heapScores, heapItems, count, options, exclude.Length);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(heapScores);
            ArrayPool<int>.Shared.Return(heapItems);
        }
    }

    /// <summary>The top K of many users, handed to <paramref name="sink"/> in the order given; users are scored in
    /// chunks of 64 (one register-tiled product per item block), chunks in parallel, so memory stays bounded.</summary>
    public void ForUsers(IReadOnlyList<int> users, RecommendOptions options, ParallelRunner runner, Action<int, Recommendations> sink,
        CancellationToken cancellation = default)
    {
        int dim = Model.Dim, k = Math.Min(options.K, ItemCount);
        int chunksPerRound = Math.Max(1, runner.Threads) * 4;
        var results = new Recommendations[chunksPerRound * UsersPerChunk];
        for (int first = 0; first < users.Count; first += chunksPerRound * UsersPerChunk)
        {
            cancellation.ThrowIfCancellationRequested();
            int roundUsers = Math.Min(chunksPerRound * UsersPerChunk, users.Count - first);
            int chunks = (roundUsers + UsersPerChunk - 1) / UsersPerChunk;
            runner.For(chunks, 1, (start, end) =>
            {
                var rows = new float[UsersPerChunk * dim];
                var scores = new float[UsersPerChunk * Block];
                var heapScores = new float[UsersPerChunk * k];
                var heapItems = new int[UsersPerChunk * k];
                var counts = new int[UsersPerChunk];
                for (int c = start; c < end; c++)
                {
                    int n = Math.Min(UsersPerChunk, roundUsers - c * UsersPerChunk);
                    for (int j = 0; j < n; j++)
                    {
                        Model.Factors.User(users[first + c * UsersPerChunk + j]).CopyTo(rows.AsSpan(j * dim, dim));
                    }
                    Array.Clear(counts);
                    for (int b = 0; b < _panels.Length; b++)
                    {
                        BlockedScoring.Score(rows, n, dim, _panels[b], Block, scores);
                        for (int j = 0; j < n; j++)
                        {
                            int user = users[first + c * UsersPerChunk + j];
                            ReadOnlySpan<int> seen = options.ExcludeSeen ? Model.Seen.Row(user) : [];
                            counts[j] = Offer(scores.AsSpan(j * Block, Block), b * Block, seen, options, heapScores.AsSpan(j * k, k), heapItems.AsSpan(j * k, k), counts[j]);
                        }
                    }
                    for (int j = 0; j < n; j++)
                    {
                        int user = users[first + c * UsersPerChunk + j];
                        int excluded = options.ExcludeSeen ? Model.Seen.RowLength(user) : 0;
                        results[c * UsersPerChunk + j] = Finish(heapScores.AsSpan(j * k, k), heapItems.AsSpan(j * k, k), counts[j], options, excluded);
                    }
                }
            });
            for (int j = 0; j < roundUsers; j++)
            {
                sink(users[first + j], results[j]);
            }
        }
    }

    /// <summary>The K items nearest to <paramref name="item"/> by the model's score (cosine models: cosine), itself left out.</summary>
    public Recommendations SimilarItems(int item, int k, IReadOnlySet<int>? deny = null) =>
        ForVector(Model.Factors.Item(item), [item], new RecommendOptions { K = k, ExcludeSeen = false, Deny = deny });

    /// <summary>Masks one block's scores (excluded, denied, not allowed, padding) and offers the rest to the heap.</summary>
    private int Offer(Span<float> row, int blockStart, ReadOnlySpan<int> exclude, RecommendOptions options, Span<float> heapScores, Span<int> heapItems, int count)
    {
        int width = Math.Min(Block, ItemCount - blockStart);
        row[width..].Fill(float.NegativeInfinity);
        foreach (int item in exclude)
        {
            if (item >= blockStart && item < blockStart + width)
            {
                row[item - blockStart] = float.NegativeInfinity;
            }
        }
        if (options.Deny is { Count: > 0 } deny)
        {
            for (int i = 0; i < width; i++)
            {
                if (deny.Contains(blockStart + i))
                {
                    row[i] = float.NegativeInfinity;
                }
            }
        }
        if (options.Allow is { } allow)
        {
            for (int i = 0; i < width; i++)
            {
                if (!allow.Contains(blockStart + i))
                {
                    row[i] = float.NegativeInfinity;
                }
            }
        }
        return Evaluator.PushBlock(row, blockStart, heapScores, heapItems, count);
    }

    private Recommendations Finish(Span<float> heapScores, Span<int> heapItems, int count, RecommendOptions options, int excluded)
    {
        TopKHeap.SortDescending(heapScores, heapItems, count);
        var items = new ScoredItem[count];
        for (int i = 0; i < count; i++)
        {
            items[i] = new ScoredItem(heapItems[i], heapScores[i]);
        }
        return new Recommendations(items, count < options.K ? Shortfall(count, options, excluded) : null);
    }

    private string Shortfall(int count, RecommendOptions options, int excluded)
    {
        var reasons = new List<string>();
        if (options.K > ItemCount)
        {
            reasons.Add($"the model has {ItemCount} items");
        }
        if (excluded > 0)
        {
            reasons.Add($"{excluded} excluded (seen in training, or the query item)");
        }
        if (options.Allow is { } allow)
        {
            reasons.Add($"the allow list holds {allow.Count} items");
        }
        if (options.Deny is { Count: > 0 } deny)
        {
            reasons.Add($"{deny.Count} denied");
        }
        return $"{count} of {options.K} asked: " + (reasons.Count > 0 ? string.Join("; ", reasons) : "no other item can be scored");
    }
}
