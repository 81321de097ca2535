namespace RecLoss.Core.Evaluation;

/// <summary>Averages of the top-K metrics over evaluated users at one cut-off K.</summary>
/// <param name="Recall">hits@K / |test items|.</param>
/// <param name="Ndcg">DCG@K / IDCG@K, gain 1 per hit, discount 1/log2(rank + 1); IDCG places min(K, |test items|) hits first.</param>
/// <param name="Precision">hits@K / K (K, not the list length, also when fewer than K items could be ranked).</param>
/// <param name="HitRate">1 when at least one hit is in the top K.</param>
/// <param name="Mrr">1 / rank of the first hit within the top K, else 0.</param>
public sealed record MetricsAtK(int K, double Recall, double Ndcg, double Precision, double HitRate, double Mrr);

/// <summary>Per-user accumulation of the ranking metrics for several K in one pass over the ranked list.</summary>
public sealed class RankingMetrics
{
    private readonly int[] _ks;
    private readonly double[] _discount;      // [maxK + 1]: 1 / log2(rank + 1) at 1-based rank
    private readonly double[] _idealPrefix;   // [maxK + 1]: sum of discounts of ranks 1..n
    private readonly double[] _recall, _ndcg, _precision, _hitRate, _mrr;

    public RankingMetrics(IReadOnlyList<int> ks)
    {
        if (ks.Count == 0 || ks.Any(k => k < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ks), string.Join(",", ks), "Every K must be at least 1.");
        }
        _ks = ks.Distinct().Order().ToArray();
        int maxK = _ks[^1];
        _discount = new double[maxK + 1];
        _idealPrefix = new double[maxK + 1];
        for (int rank = 1; rank <= maxK; rank++)
        {
            _discount[rank] = 1.0 / Math.Log2(rank + 1);
            _idealPrefix[rank] = _idealPrefix[rank - 1] + _discount[rank];
        }
        _recall = new double[_ks.Length];
        _ndcg = new double[_ks.Length];
        _precision = new double[_ks.Length];
        _hitRate = new double[_ks.Length];
        _mrr = new double[_ks.Length];
    }

    public IReadOnlyList<int> Ks => _ks;

    public int MaxK => _ks[^1];

    /// <summary>Users added so far.</summary>
    public int Users { get; private set; }

    /// <summary>Adds one user: <paramref name="ranked"/> best first (at most MaxK), <paramref name="truth"/> sorted and non-empty.</summary>
    public void Add(ReadOnlySpan<int> ranked, ReadOnlySpan<int> truth)
    {
        if (truth.IsEmpty)
        {
            throw new ArgumentException("A user without test items cannot be evaluated.", nameof(truth));
        }
        int hits = 0;
        double dcg = 0;
        int firstHit = 0;
        int next = 0; // index into _ks
        int length = Math.Min(ranked.Length, MaxK);
        for (int rank = 1; rank <= MaxK && next < _ks.Length; rank++)
        {
            if (rank <= length && truth.BinarySearch(ranked[rank - 1]) >= 0)
            {
                hits++;
                dcg += _discount[rank];
                if (firstHit == 0)
                {
                    firstHit = rank;
                }
            }
            while (next < _ks.Length && _ks[next] == rank)
            {
                int k = _ks[next];
                _recall[next] += (double)hits / truth.Length;
                _ndcg[next] += dcg / _idealPrefix[Math.Min(k, truth.Length)];
                _precision[next] += (double)hits / k;
                _hitRate[next] += hits > 0 ? 1 : 0;
                _mrr[next] += firstHit > 0 ? 1.0 / firstHit : 0;
                next++;
            }
        }
        Users++;
    }

    /// <summary>Adds another accumulator's sums (used to reduce per-block results in a fixed order).</summary>
    public void Add(RankingMetrics other)
    {
        for (int k = 0; k < _ks.Length; k++)
        {
            _recall[k] += other._recall[k];
            _ndcg[k] += other._ndcg[k];
            _precision[k] += other._precision[k];
            _hitRate[k] += other._hitRate[k];
            _mrr[k] += other._mrr[k];
        }
        Users += other.Users;
    }

    /// <summary>Averages over the users added.</summary>
    public IReadOnlyList<MetricsAtK> Averages()
    {
        double n = Math.Max(Users, 1);
        return _ks.Select((k, j) => new MetricsAtK(k, _recall[j] / n, _ndcg[j] / n, _precision[j] / n, _hitRate[j] / n, _mrr[j] / n)).ToArray();
    }
}
