using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Evaluation;

public class RankingMetricsTests
{
    private static double D(int rank) => 1 / Math.Log2(rank + 1);

    [Fact]
    public void Add_HitsAtRanks1And3_GiveFormulaValues()
    {
        var metrics = new RankingMetrics([2, 3]);
        // Ranked 5, 9, 7; truth {5, 7, 8, 11}: hits at ranks 1 and 3.
        metrics.Add([5, 9, 7], [5, 7, 8, 11]);
        MetricsAtK at2 = metrics.Averages()[0], at3 = metrics.Averages()[1];
        Assert.Equal(1.0 / 4, at2.Recall, 12);
        Assert.Equal(D(1) / (D(1) + D(2)), at2.Ndcg, 12);
        Assert.Equal(1.0 / 2, at2.Precision, 12);
        Assert.Equal(1.0, at2.HitRate, 12);
        Assert.Equal(1.0, at2.Mrr, 12);
        Assert.Equal(2.0 / 4, at3.Recall, 12);
        Assert.Equal((D(1) + D(3)) / (D(1) + D(2) + D(3)), at3.Ndcg, 12);
        Assert.Equal(2.0 / 3, at3.Precision, 12);
    }

    [Fact]
    public void Add_FewerTestItemsThanK_IdealUsesOnlyThatMany()
    {
        var metrics = new RankingMetrics([5]);
        // One test item, found at rank 2.
        metrics.Add([4, 1, 2, 3, 0], [1]);
        MetricsAtK m = metrics.Averages()[0];
        Assert.Equal(1.0, m.Recall, 12);
        Assert.Equal(D(2) / D(1), m.Ndcg, 12);
        Assert.Equal(1.0 / 5, m.Precision, 12);
        Assert.Equal(1.0 / 2, m.Mrr, 12);
    }

    [Fact]
    public void Add_KLargerThanRankedList_CountsOnlyRankedItems()
    {
        var metrics = new RankingMetrics([10]);
        // Only 3 items could be ranked (small catalogue); truth {2, 6}: one hit at rank 3.
        metrics.Add([0, 1, 2], [2, 6]);
        MetricsAtK m = metrics.Averages()[0];
        Assert.Equal(1.0 / 2, m.Recall, 12);
        Assert.Equal(D(3) / (D(1) + D(2)), m.Ndcg, 12);
        Assert.Equal(1.0 / 10, m.Precision, 12);
        Assert.Equal(1.0 / 3, m.Mrr, 12);
    }

    [Fact]
    public void Averages_TwoUsers_AreMeans()
    {
        var metrics = new RankingMetrics([1]);
        metrics.Add([3], [3]);
        metrics.Add([4], [3]);
        Assert.Equal(0.5, metrics.Averages()[0].Recall, 12);
        Assert.Equal(2, metrics.Users);
    }
}

public class EvaluatorTests
{
    [Fact]
    public void Evaluate_ManyTiedScores_RanksTheLowerItemFirst_AsBruteForce()
    {
        // Scores from a handful of values: most cut-offs fall inside a run of equal scores.
        const int users = 300, items = 2000, dim = 2;
        var rng = new Xoshiro256(8);
        float[] u = Enumerable.Range(0, users * dim).Select(_ => (float)rng.NextInt(3)).ToArray();
        float[] v = Enumerable.Range(0, items * dim).Select(_ => (float)rng.NextInt(4)).ToArray();
        var model = new FactorModel(users, items, dim, u, v);
        InteractionMatrix train = RandomMatrix(users, items, 30, 21);
        InteractionMatrix test = RandomMatrix(users, items, 40, 22);
        int[] ks = [1, 10, 50];
        EvaluationResult result = new Evaluator(new EvaluatorOptions { Ks = ks }, new ParallelRunner(2)).Evaluate(model, train, test);
        var expected = new RankingMetrics(ks);
        for (int user = 0; user < users; user++)
        {
            if (test.RowLength(user) > 0)
            {
                expected.Add(Enumerable.Range(0, items).Where(i => !train.Contains(user, i))
                    .OrderByDescending(i => model.Score(user, i)).ThenBy(i => i).Take(50).ToArray(), test.Row(user));
            }
        }
        for (int k = 0; k < ks.Length; k++)
        {
            Assert.Equal(expected.Averages()[k].Recall, result.Metrics[k].Recall, 12);
            Assert.Equal(expected.Averages()[k].Ndcg, result.Metrics[k].Ndcg, 12);
            Assert.Equal(expected.Averages()[k].Mrr, result.Metrics[k].Mrr, 12);
        }
    }

    [Theory]
    [InlineData(37, 5, 256, 7)]
    [InlineData(500, 64, EvaluatorOptions.Defaults.ItemBlock, EvaluatorOptions.Defaults.UserBlock)]
    [InlineData(500, 64, 1024, 60)]
    public void Evaluate_RandomModel_MatchesBruteForceRanking(int users, int dim, int itemBlock, int userBlock)
    {
        const int items = 1100;
        var rng = new Xoshiro256(3);
        float[] u = Enumerable.Range(0, users * dim).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] v = Enumerable.Range(0, items * dim).Select(_ => (float)rng.NextGaussian()).ToArray();
        var model = new FactorModel(users, items, dim, u, v);
        InteractionMatrix train = RandomMatrix(users, items, 30, 11);
        InteractionMatrix test = RandomMatrix(users, items, 8, 12);
        int[] ks = [1, 5, 20];

        var evaluator = new Evaluator(new EvaluatorOptions { Ks = ks, ItemBlock = itemBlock, UserBlock = userBlock }, new ParallelRunner(2));
        EvaluationResult result = evaluator.Evaluate(model, train, test);

        var expected = new RankingMetrics(ks);
        int evaluated = 0;
        for (int user = 0; user < users; user++)
        {
            if (test.RowLength(user) == 0)
            {
                continue;
            }
            evaluated++;
            int[] ranked = Enumerable.Range(0, items).Where(i => !train.Contains(user, i))
                .OrderByDescending(i => model.Score(user, i)).ThenBy(i => i).Take(20).ToArray();
            expected.Add(ranked, test.Row(user));
        }
        Assert.Equal(evaluated, result.Users);
        for (int k = 0; k < ks.Length; k++)
        {
            Assert.Equal(expected.Averages()[k].Recall, result.Metrics[k].Recall, 9);
            Assert.Equal(expected.Averages()[k].Ndcg, result.Metrics[k].Ndcg, 9);
            Assert.Equal(expected.Averages()[k].Mrr, result.Metrics[k].Mrr, 9);
        }
    }

    [Fact]
    public void Evaluate_KLargerThanCatalogue_RanksEveryUnmaskedItem()
    {
        // 3 items; user 0 has item 0 in train and item 2 in test.
        var model = new FactorModel(1, 3, 1, [1f], [3f, 1f, 2f]);
        var train = InteractionMatrix.FromPairs(1, 3, [0], [0], out _);
        var test = InteractionMatrix.FromPairs(1, 3, [0], [2], out _);
        var evaluator = new Evaluator(new EvaluatorOptions { Ks = [50] }, new ParallelRunner(1));
        MetricsAtK m = evaluator.Evaluate(model, train, test).Metrics[0];
        Assert.Equal(1.0, m.Recall);
        Assert.Equal(1.0, m.Ndcg, 12); // item 2 scores 2 > item 1's 1, so it ranks first
        Assert.Equal(1.0 / 50, m.Precision, 12);
    }

    internal static InteractionMatrix RandomMatrix(int users, int items, int perUser, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var us = new List<int>();
        var its = new List<int>();
        for (int u = 0; u < users; u++)
        {
            int n = rng.NextInt(perUser + 1);
            for (int k = 0; k < n; k++)
            {
                us.Add(u);
                its.Add(rng.NextInt(items));
            }
        }
        return InteractionMatrix.FromPairs(users, items, us.ToArray(), its.ToArray(), out _);
    }
}
