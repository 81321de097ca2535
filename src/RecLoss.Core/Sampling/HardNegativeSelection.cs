namespace RecLoss.Core.Sampling;

/// <summary>Keeps the top-scored candidates of a row (dynamic negative sampling).</summary>
public static class HardNegativeSelection
{
    /// <summary>Writes the <c>destination.Length</c> highest-scored candidates to <paramref name="destination"/>, in
    /// candidate order; among equal scores at the cut, the earlier candidates. A NaN score ranks lowest.</summary>
    /// <param name="scores">One score per candidate; NaNs are replaced by -infinity in place.</param>
    /// <param name="scratch">At least as long as <paramref name="candidates"/>; overwritten.</param>
    public static void SelectTop(ReadOnlySpan<int> candidates, Span<float> scores, Span<float> scratch, Span<int> destination)
    {
        int keep = destination.Length;
        if (keep > candidates.Length || scores.Length != candidates.Length || scratch.Length < candidates.Length)
        {
            throw new ArgumentException($"Cannot keep {keep} of {candidates.Length} candidates with {scores.Length} scores and {scratch.Length} scratch.");
        }
        if (keep == 0)
        {
            return;
        }
        for (int k = 0; k < scores.Length; k++)
        {
            if (float.IsNaN(scores[k]))
            {
                scores[k] = float.NegativeInfinity;
            }
        }
        Span<float> work = scratch[..scores.Length];
        scores.CopyTo(work);
        float threshold = KthLargest(work, keep);
        int above = 0;
        for (int k = 0; k < scores.Length; k++)
        {
            above += scores[k] > threshold ? 1 : 0;
        }
        int tiesAllowed = keep - above, written = 0;
        for (int k = 0; k < scores.Length && written < keep; k++)
        {
            if (scores[k] > threshold || (scores[k] == threshold && tiesAllowed-- > 0))
            {
                destination[written++] = candidates[k];
            }
        }
    }

    /// <summary>The k-th largest value (k >= 1) by quickselect with a middle pivot; reorders <paramref name="values"/>.</summary>
    internal static float KthLargest(Span<float> values, int k)
    {
        int target = k - 1, lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            float pivot = values[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] > pivot) { i++; }
                while (values[j] < pivot) { j--; }
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            // Now [lo, j] >= pivot >= [i, hi], and (j, i) equals pivot.
            if (target <= j)
            {
                hi = j;
            }
            else if (target >= i)
            {
                lo = i;
            }
            else
            {
                return values[target];
            }
        }
        return values[target];
    }
}
