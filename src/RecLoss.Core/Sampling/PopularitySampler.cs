using RecLoss.Core.Data;
using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Negatives drawn with probability proportional to <c>count(i)^alpha</c>, the item's train count.</summary>
/// <remarks>
/// Walker's alias method in Vose's construction: one uniform column and one 32-bit threshold per draw, O(1) whatever
/// the number of items. alpha = 0 is uniform over all items; alpha = 1 follows popularity; items never seen in train
/// have weight 0 for alpha &gt; 0. With <c>excludePositives</c> a draw that hits the user's train row is rejected and
/// drawn again, which is exact sampling of the same law restricted to the user's non-positives.
/// </remarks>
public sealed class PopularitySampler : INegativeSampler
{
    private readonly uint[] _threshold;   // keep column i when the 32-bit draw is below this
    private readonly int[] _alias;
    private readonly InteractionMatrix? _positives;

    /// <param name="train">Item counts come from its columns.</param>
    /// <param name="alpha">The exponent, in [0, 10].</param>
    /// <param name="excludePositives">Reject the user's own train items.</param>
    public PopularitySampler(InteractionMatrix train, double alpha, bool excludePositives = false)
    {
        ArgumentRange.Check(alpha, 0, 10, "alpha");
        Alpha = alpha;
        Probabilities = Weights(train, alpha);
        (_threshold, _alias) = BuildAlias(Probabilities);
        if (excludePositives)
        {
            for (int u = 0; u < train.UserCount; u++)
            {
                double mass = 1;
                foreach (int i in train.Row(u))
                {
                    mass -= Probabilities[i];
                }
                if (mass <= 1e-12)
                {
                    throw new NoNegativeException(u, $"holds all the sampling mass in its train items (alpha {alpha}), so no negative can be drawn for it when its positives are excluded");
                }
            }
            _positives = train;
        }
    }

    public double Alpha { get; }

    /// <summary>The law drawn from (before exclusion): p(i) = count(i)^alpha / sum_j count(j)^alpha.</summary>
    public IReadOnlyList<double> Probabilities { get; }

    public string Name => _positives is null ? "popularity" : "popularity-excluding-positives";

    public void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination)
    {
        ReadOnlySpan<int> row = _positives is null ? default : _positives.Row(userIndex);
        uint[] threshold = _threshold;
        int[] alias = _alias;
        // A local copy lets the JIT keep the generator's state in registers through the loop.
        Xoshiro256 local = rng;
        for (int k = 0; k < destination.Length; k++)
        {
            int item;
            do
            {
                int column = local.NextInt(alias.Length);
                item = local.NextUInt32() < threshold[column] ? column : alias[column];
            }
            while (!row.IsEmpty && row.BinarySearch(item) >= 0);
            destination[k] = item;
        }
        rng = local;
    }

    private static double[] Weights(InteractionMatrix train, double alpha)
    {
        var counts = new long[train.ItemCount];
        for (int u = 0; u < train.UserCount; u++)
        {
            foreach (int i in train.Row(u))
            {
                counts[i]++;
            }
        }
        var p = new double[train.ItemCount];
        double total = 0;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = alpha == 0 ? 1 : counts[i] == 0 ? 0 : Math.Pow(counts[i], alpha);
            total += p[i];
        }
        if (!(total > 0) || double.IsInfinity(total))
        {
            throw new ArgumentException($"The popularity weights count(i)^{alpha} sum to {total}; no item can be drawn.", nameof(alpha));
        }
        for (int i = 0; i < p.Length; i++)
        {
            p[i] /= total;
        }
        return p;
    }

    /// <summary>Vose's construction: columns below the mean are topped up by one column above it.</summary>
    internal static (uint[] Threshold, int[] Alias) BuildAlias(IReadOnlyList<double> probabilities)
    {
        int n = probabilities.Count;
        var scaled = new double[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = n - 1; i >= 0; i--)
        {
            scaled[i] = probabilities[i] * n;
            (scaled[i] < 1 ? small : large).Push(i);
        }
        var threshold = new uint[n];
        var alias = new int[n];
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            threshold[s] = ToThreshold(scaled[s]);
            alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1;
            (scaled[l] < 1 ? small : large).Push(l);
        }
        // What remains is 1 up to rounding: keep the column always.
        foreach (int i in large.Concat(small))
        {
            threshold[i] = uint.MaxValue;
            alias[i] = i;
        }
        return (threshold, alias);
    }

    private static uint ToThreshold(double keep) => (uint)Math.Clamp(Math.Round(keep * 4294967296.0), 0, uint.MaxValue);
}
