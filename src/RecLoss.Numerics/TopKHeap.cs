using System.Runtime.CompilerServices;

namespace RecLoss.Numerics;

/// <summary>Size-K selection of the highest scores, as a min-heap over caller-owned spans.</summary>
/// <remarks>
/// Order: a higher score ranks first; equal scores rank the lower index first, so results are deterministic.
/// The heap root is the worst kept entry, so a candidate is rejected with one comparison once the heap is full.
/// NaN scores are never kept (every comparison with NaN is false).
/// </remarks>
public static class TopKHeap
{
    /// <summary>True when (scoreA, indexA) ranks below (scoreB, indexB).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool RanksBelow(float scoreA, int indexA, float scoreB, int indexB) =>
        scoreA < scoreB || (scoreA == scoreB && indexA > indexB);

    /// <summary>Offers (score, index) to a heap holding <paramref name="count"/> entries of capacity scores.Length.</summary>
    /// <returns>The new count.</returns>
    public static int Push(Span<float> scores, Span<int> indices, int count, float score, int index)
    {
        int capacity = scores.Length;
        if (capacity == 0 || float.IsNaN(score))
        {
            return count;
        }
        if (count < capacity)
        {
            // Sift up from the new leaf.
            int child = count;
            while (child > 0)
            {
                int parent = (child - 1) >> 1;
                if (!RanksBelow(score, index, scores[parent], indices[parent]))
                {
                    break;
                }
                scores[child] = scores[parent];
                indices[child] = indices[parent];
                child = parent;
            }
            scores[child] = score;
            indices[child] = index;
            return count + 1;
        }
        if (!RanksBelow(scores[0], indices[0], score, index))
        {
            return count;
        }
        SiftDownFromRoot(scores, indices, count, score, index);
        return count;
    }

    private static void SiftDownFromRoot(Span<float> scores, Span<int> indices, int count, float score, int index)
    {
        int parent = 0;
        while (true)
        {
            int child = 2 * parent + 1;
            if (child >= count)
            {
                break;
            }
            if (child + 1 < count && RanksBelow(scores[child + 1], indices[child + 1], scores[child], indices[child]))
            {
                child++;
            }
            if (!RanksBelow(scores[child], indices[child], score, index))
            {
                break;
            }
            scores[parent] = scores[child];
            indices[parent] = indices[child];
            parent = child;
        }
        scores[parent] = score;
        indices[parent] = index;
    }

    /// <summary>Sorts the first <paramref name="count"/> heap entries best first, in place.</summary>
    public static void SortDescending(Span<float> scores, Span<int> indices, int count)
    {
        // Repeatedly move the worst entry (the root) to the end of the shrinking heap.
        for (int end = count - 1; end > 0; end--)
        {
            float rootScore = scores[0];
            int rootIndex = indices[0];
            float lastScore = scores[end];
            int lastIndex = indices[end];
            scores[end] = rootScore;
            indices[end] = rootIndex;
            SiftDownFromRoot(scores, indices, end, lastScore, lastIndex);
        }
    }
}
