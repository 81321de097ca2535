using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Models;

public sealed class RecLossModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-facade-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Train_save_load_recommend_and_continue_through_the_facade()
    {
        Dataset data = TrainedModels.Data();
        SessionOptions options = TrainedModels.Options(EncoderKind.MatrixFactorization, epochs: 2);
        RecLossModel model = RecLossModel.Train(data, MultiMarginLoss.Yelp2018, options);
        string path = Path.Combine(_folder, "m.rlm");
        model.Save(path, withOptimizer: true);
        RecLossModel loaded = RecLossModel.Load(path);
        Assert.Null(loaded.Training);

        string user = data.Users.GetId(5);
        Assert.Equal(model.Recommend(user, 7), loaded.Recommend(user, 7));
        Assert.Equal(7, loaded.Recommend(user, 7).Count);
        Assert.Empty(loaded.Recommend(user, 50).Select(r => r.Item).Intersect(data.Train.Row(5).ToArray().Select(data.Items.GetId)));
        Assert.Equal(model.Training!.Last.Record.Test!.Metrics, loaded.Evaluate(data).Metrics);

        string[] history = [data.Items.GetId(1), data.Items.GetId(2)];
        IReadOnlyList<Recommendation> fresh = loaded.RecommendForHistory(history, 5);
        Assert.Equal(5, fresh.Count);
        Assert.Empty(fresh.Select(r => r.Item).Intersect(history));
        Assert.DoesNotContain(history[0], loaded.Similar(history[0], 5).Select(r => r.Item));
        Assert.Throws<KeyNotFoundException>(() => loaded.Recommend("no such user"));
        Assert.Throws<KeyNotFoundException>(() => loaded.Similar("no such item"));

        // Two more epochs from the file equal four epochs straight.
        RecLossModel more = RecLossModel.Train(data, MultiMarginLoss.Yelp2018, options, start: loaded.ContinueFrom());
        RecLossModel straight = RecLossModel.Train(data, MultiMarginLoss.Yelp2018, TrainedModels.Options(EncoderKind.MatrixFactorization, epochs: 4));
        Assert.Equal(straight.Model.Factors.UserFactors, more.Model.Factors.UserFactors);
        Assert.Equal(4, more.Model.Header.Epoch);
    }
}
