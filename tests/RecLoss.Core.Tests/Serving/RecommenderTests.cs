using RecLoss.Core.Data;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Serving;
using RecLoss.Core.Tests.Models;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Serving;

public class RecommenderTests
{
    private static readonly Lazy<(TrainedModel Model, TrainingResult Result, Dataset Data)> s_mf = new(() => TrainedModels.Train(EncoderKind.MatrixFactorization));

    /// <summary>The reference ranking: every unseen item scored one by one, higher score first, lower index on ties.</summary>
    private static int[] BruteForce(TrainedModel model, ReadOnlySpan<float> user, IReadOnlySet<int> excluded, int k)
    {
        var scored = new List<(float Score, int Item)>();
        for (int i = 0; i < model.Factors.ItemCount; i++)
        {
            if (!excluded.Contains(i))
            {
                float s = 0;
                for (int d = 0; d < model.Dim; d++)
                {
                    s += user[d] * model.Factors.Item(i)[d];
                }
                scored.Add((s, i));
            }
        }
        return [.. scored.OrderByDescending(p => p.Score).ThenBy(p => p.Item).Take(k).Select(p => p.Item)];
    }

    [Fact]
    public void Recommend_ranks_unseen_items_as_a_brute_force_scan_does()
    {
        TrainedModel model = s_mf.Value.Model;
        var recommender = new Recommender(model);
        foreach (int user in new[] { 0, 1, 17, 100, model.Users.Count - 1 })
        {
            Recommendations top = recommender.ForUser(user, new RecommendOptions { K = 25 });
            int[] expected = BruteForce(model, model.Factors.User(user), model.Seen.Row(user).ToArray().ToHashSet(), 25);
            // Scores may differ in the last bits (the tiled product sums in another order), so allow reordering only among near-ties.
            Assert.Equal(expected.Length, top.Items.Count);
            Assert.Null(top.Shortfall);
            Assert.Empty(top.Items.Select(r => r.Item).Intersect(model.Seen.Row(user).ToArray()));
            Assert.True(top.Items.Zip(top.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
            Assert.True(expected.Take(20).Count(top.Items.Select(r => r.Item).Contains) >= 19);
        }
    }

    [Fact]
    public void Many_users_at_once_give_exactly_the_one_user_results_in_order()
    {
        TrainedModel model = s_mf.Value.Model;
        var recommender = new Recommender(model);
        int[] users = [.. Enumerable.Range(0, model.Users.Count).Reverse()];
        var seen = new List<(int, Recommendations)>();
        recommender.ForUsers(users, new RecommendOptions { K = 10 }, new ParallelRunner(2), (u, r) => seen.Add((u, r)));
        Assert.Equal(users, seen.Select(p => p.Item1));
        foreach ((int user, Recommendations many) in seen)
        {
            Recommendations one = recommender.ForUser(user, new RecommendOptions { K = 10 });
            Assert.Equal(one.Items, many.Items);
        }
    }

    [Fact]
    public void Allow_deny_and_exclusion_are_honoured_and_a_shortfall_is_explained()
    {
        TrainedModel model = s_mf.Value.Model;
        var recommender = new Recommender(model);
        int user = 5;
        var allow = new HashSet<int> { 1, 2, 3, 4, 5, 6 };
        var deny = new HashSet<int> { 2 };
        Recommendations r = recommender.ForUser(user, new RecommendOptions { K = 10, Allow = allow, Deny = deny });
        var expected = allow.Except(deny).Except(model.Seen.Row(user).ToArray()).ToHashSet();
        Assert.Equal(expected.Order(), r.Items.Select(i => i.Item).Order());
        Assert.NotNull(r.Shortfall);
        Assert.Contains("allow list holds 6", r.Shortfall);
        Assert.Contains("1 denied", r.Shortfall);

        Recommendations all = recommender.ForUser(user, new RecommendOptions { K = 10_000, ExcludeSeen = false });
        Assert.Equal(model.Factors.ItemCount, all.Items.Count);
        Assert.Contains($"the model has {model.Factors.ItemCount} items", all.Shortfall);
    }

    [Fact]
    public void Similar_items_are_the_nearest_by_the_model_score_without_the_item_itself()
    {
        TrainedModel model = s_mf.Value.Model;
        var recommender = new Recommender(model);
        Recommendations similar = recommender.SimilarItems(7, 10);
        Assert.DoesNotContain(7, similar.Items.Select(i => i.Item));
        int[] expected = BruteForce(model, model.Factors.Item(7), new HashSet<int> { 7 }, 10);
        Assert.True(expected.Take(8).Count(similar.Items.Select(i => i.Item).Contains) >= 7);
        // Cosine model: the score of an item with itself would be 1; its neighbours score at most 1.
        Assert.All(similar.Items, i => Assert.InRange(i.Score, -1.0001f, 1.0001f));
    }
}

public class RecommenderAgainstEvaluatorTests
{
    [Fact]
    public void Recommend_equals_the_ranking_the_evaluator_scores_for_every_user()
    {
        (TrainedModel model, _, Dataset data) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 2);
        var ranked = new System.Collections.Concurrent.ConcurrentDictionary<int, int[]>();
        var evaluator = new RecLoss.Core.Evaluation.Evaluator(new RecLoss.Core.Evaluation.EvaluatorOptions { Ks = [10, 50] }, new ParallelRunner(2))
        {
            RankingObserver = (user, items) => ranked[user] = items,
        };
        evaluator.Evaluate(model.Factors, data.Train, data.Test!);
        Assert.NotEmpty(ranked);
        var recommender = new Recommender(model);
        foreach ((int user, int[] items) in ranked)
        {
            Recommendations r = recommender.ForUser(user, new RecommendOptions { K = 50 });
            Assert.Equal(items, r.Items.Select(i => i.Item));
        }
    }
}
