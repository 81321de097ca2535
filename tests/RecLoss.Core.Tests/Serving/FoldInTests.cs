using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Serving;
using RecLoss.Core.Tests.Models;
using RecLoss.Core.Training;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Serving;

public class FoldInTests
{
    [Fact]
    public void SimpleX_scores_a_new_user_from_her_history_through_its_aggregator()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.SimpleX, epochs: 2);
        var foldIn = new FoldIn(model);
        Assert.Equal("aggregator", foldIn.Method);
        int[] history = [.. model.Seen.Row(3)];
        float[] vector = foldIn.UserVector(history);
        Assert.Equal(1f, MathF.Sqrt(VectorKernels.SumOfSquares<float>(vector)), 4);
        // Order and duplicates do not matter.
        Assert.Equal(vector, foldIn.UserVector([.. history.Reverse(), history[0]]));
        // A different history gives a different vector.
        Assert.NotEqual(vector, foldIn.UserVector([.. model.Seen.Row(4)]));
    }

    [Fact]
    public void MF_fit_is_deterministic_and_recovers_users_almost_as_well_as_their_trained_rows()
    {
        (TrainedModel model, TrainingResult result, Dataset data) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 20);
        var foldIn = new FoldIn(model);
        Assert.Equal("fit", foldIn.Method);
        Assert.Equal(foldIn.UserVector([.. model.Seen.Row(9)]), foldIn.UserVector([.. model.Seen.Row(9)]));

        // Every user's row replaced by a fit from her train items alone: test Recall@20 stays close to the trained one.
        var users = new float[model.Factors.UserFactors.Length];
        double cosine = 0;
        for (int u = 0; u < model.Users.Count; u++)
        {
            float[] v = foldIn.UserVector([.. model.Seen.Row(u)]);
            v.CopyTo(users, u * model.Dim);
            cosine += VectorKernels.Dot<float>(v, model.Factors.User(u));
        }
        var folded = new FactorModel(model.Users.Count, model.Items.Count, model.Dim, users, model.Factors.ItemFactors);
        var evaluator = new Evaluator(new EvaluatorOptions(), new ParallelRunner(2));
        double trained = result.Last.Record.Test!.At(20).Recall;
        double fitted = evaluator.Evaluate(folded, data.Train, data.Test!).At(20).Recall;
        double popular = evaluator.Evaluate(FactorModel.MostPopular(data.Train), data.Train, data.Test!).At(20).Recall;
        Assert.True(fitted > popular, $"fold-in {fitted:F4} vs most-popular {popular:F4}, trained {trained:F4}, cos {cosine / model.Users.Count:F3}");
        Assert.True(fitted > 0.85 * trained, $"fold-in {fitted:F4} vs trained {trained:F4}");
        Assert.True(cosine / model.Users.Count > 0.5, $"mean cosine to the trained rows {cosine / model.Users.Count:F3}");
    }

    [Fact]
    public void An_empty_history_is_refused()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 1);
        Assert.Throws<ArgumentException>(() => new FoldIn(model).UserVector([]));
    }

    [Fact]
    public void SimpleX_attention_fold_in_gives_the_same_vectors_from_many_threads_at_once()
    {
        Dataset data = TrainedModels.Data();
        SessionOptions options = TrainedModels.Options(EncoderKind.SimpleX, 1) with
        {
            SimpleX = new RecLoss.Core.Encoders.SimpleXOptions { Gamma = 0.7, Aggregator = RecLoss.Core.Encoders.SimpleXAggregator.UserAttention },
        };
        TrainingResult result = new TrainingSession(options).Run(data, TrainedModels.Loss(EncoderKind.SimpleX));
        TrainedModel model = TrainedModel.FromRun(data, ModelHeader.For(data, TrainedModels.Loss(EncoderKind.SimpleX), options, result), result.Encoder);
        var foldIn = new FoldIn(model);
        int[][] histories = [.. Enumerable.Range(0, 64).Select(u => model.Seen.Row(u).ToArray())];
        float[][] sequential = [.. histories.Select(h => foldIn.UserVector(h))];
        var parallel = new float[histories.Length][];
        Parallel.For(0, histories.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, u => parallel[u] = new FoldIn(model).UserVector(histories[u]));
        Parallel.For(0, histories.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, u => Assert.Equal(sequential[u], foldIn.UserVector(histories[u])));
        Assert.All(Enumerable.Range(0, histories.Length), u => Assert.Equal(sequential[u], parallel[u]));
    }

    [Fact]
    public void A_history_of_nearly_every_item_is_fitted_quickly_and_one_of_every_item_is_refused()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 1);
        var foldIn = new FoldIn(model);
        int[] almost = [.. Enumerable.Range(1, model.Items.Count - 1)];
        Assert.Equal(model.Dim, foldIn.UserVector(almost).Length);
        Assert.Throws<ArgumentException>(() => foldIn.UserVector([.. Enumerable.Range(0, model.Items.Count)]));
    }
}
