using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Serving;
using RecLoss.Core.Training;

namespace RecLoss.Core;

/// <summary>An item recommended to a user, or similar to an item, by its original id.</summary>
public readonly record struct Recommendation(string Item, float Score);

/// <summary>
/// The library's front door: train a recommender, save and load it, and ask it for recommendations, similar items
/// and recommendations for new users, all by the data's original ids. The CLI and the HTTP service are shells over
/// the same types (<see cref="TrainedModel"/>, <see cref="Recommender"/>, <see cref="FoldIn"/>).
/// </summary>
/// <example>
/// <code>
/// Dataset data = SyntheticData.Generate(new SyntheticDataOptions());           // or SplitFileLoader / DelimitedFileLoader
/// RecLossModel model = RecLossModel.Train(data, MultiMarginLoss.Yelp2018, new SessionOptions { Trainer = new() { Epochs = 10 } });
/// model.Save("model.rlm");
/// RecLossModel loaded = RecLossModel.Load("model.rlm");
/// IReadOnlyList&lt;Recommendation&gt; top = loaded.Recommend("42", k: 10);
/// </code>
/// </example>
public sealed class RecLossModel
{
    private readonly Lazy<FoldIn> _foldIn;

    private RecLossModel(TrainedModel model, TrainingResult? training, OptimizerState? optimizer)
    {
        Model = model;
        Training = training;
        _optimizer = optimizer;
        Recommender = new Recommender(model);
        _foldIn = new Lazy<FoldIn>(() => new FoldIn(model));
    }

    private readonly OptimizerState? _optimizer;

    /// <summary>The trained model: header, ids, seen items, vectors, parameters.</summary>
    public TrainedModel Model { get; }

    /// <summary>The training run's epochs and selections; null for a model loaded from a file.</summary>
    public TrainingResult? Training { get; }

    /// <summary>The scoring engine, for index-level calls (many users at once, allow and deny sets).</summary>
    public Recommender Recommender { get; }

    /// <summary>Trains on <paramref name="data"/>'s train split, evaluating on its test split as configured.</summary>
    /// <param name="start">A saved model to continue from (see <see cref="ContinueFrom"/>).</param>
    public static RecLossModel Train(Dataset data, IRowLoss loss, SessionOptions options, ITrainingObserver? observer = null,
        CancellationToken cancellation = default, TrainingStart? start = null)
    {
        TrainingResult result = new TrainingSession(options).Run(data, loss, observer, cancellation, start);
        TrainedModel model = TrainedModel.FromRun(data, ModelHeader.For(data, loss, options, result), result.Encoder);
        return new RecLossModel(model, result, result.OptimizerState);
    }

    /// <summary>Loads a model file (with its optimizer state when it holds one).</summary>
    /// <exception cref="ModelFileException">The file is missing, damaged or not a model file.</exception>
    public static RecLossModel Load(string path)
    {
        (TrainedModel model, OptimizerState? optimizer) = ModelFile.LoadWithOptimizer(path);
        return new RecLossModel(model, null, optimizer);
    }

    /// <summary>Writes the model file (through a temporary file); with <paramref name="withOptimizer"/> also the
    /// optimizer state, so that <see cref="ContinueFrom"/> can train on exactly.</summary>
    public void Save(string path, bool withOptimizer = false) => ModelFile.Save(Model, path, withOptimizer ? _optimizer : null);

    /// <summary>Where to start a further <see cref="Train"/> from: this model's parameters and optimizer state.</summary>
    public TrainingStart ContinueFrom() => new(Model.Blocks, _optimizer, _optimizer?.Epochs ?? Model.Header.Epoch);

    /// <summary>The top <paramref name="k"/> items for a user of the model, her training items left out unless asked.</summary>
    /// <exception cref="KeyNotFoundException">The user is not in the model (score her from her items with <see cref="RecommendForHistory"/>).</exception>
    public IReadOnlyList<Recommendation> Recommend(string userId, int k = 20, bool excludeSeen = true)
    {
        int user = Model.Users.TryGetIndex(userId, out int u) ? u : throw new KeyNotFoundException($"user '{userId}' is not in the model");
        return Named(Recommender.ForUser(user, new RecommendOptions { K = k, ExcludeSeen = excludeSeen }));
    }

    /// <summary>The top <paramref name="k"/> items for a new user from the items she interacted with (left out).</summary>
    /// <exception cref="KeyNotFoundException">An item is not in the model.</exception>
    public IReadOnlyList<Recommendation> RecommendForHistory(IEnumerable<string> itemIds, int k = 20)
    {
        int[] items = [.. itemIds.Select(Item).Distinct().Order()];
        float[] vector = _foldIn.Value.UserVector(items);
        return Named(Recommender.ForVector(vector, items, new RecommendOptions { K = k }));
    }

    /// <summary>The <paramref name="k"/> items nearest to an item by the model's score.</summary>
    public IReadOnlyList<Recommendation> Similar(string itemId, int k = 20) => Named(Recommender.SimilarItems(Item(itemId), k));

    /// <summary>Full-ranking metrics on a data set with the same indices as the model (the data it was trained on).</summary>
    public EvaluationResult Evaluate(Dataset data, EvaluatorOptions? options = null)
    {
        if (data.Test is null)
        {
            throw new ArgumentException("the data set has no test split", nameof(data));
        }
        if (data.UserCount != Model.Users.Count || data.ItemCount != Model.Items.Count)
        {
            throw new ArgumentException($"the data set has {data.UserCount} users and {data.ItemCount} items, the model {Model.Users.Count} and {Model.Items.Count}", nameof(data));
        }
        InteractionMatrix mask = data.Validation is null ? data.Train : data.Train.Union(data.Validation);
        return new Evaluator(options ?? new EvaluatorOptions(), new ParallelRunner(0)).Evaluate(Model.Factors, mask, data.Test);
    }

    private int Item(string id) => Model.Items.TryGetIndex(id, out int i) ? i : throw new KeyNotFoundException($"item '{id}' is not in the model");

    private Recommendation[] Named(Recommendations r) => [.. r.Items.Select(i => new Recommendation(Model.Items[i.Item], i.Score))];
}
