using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Models;

/// <summary>Small trained models of each encoder, for the model-file and serving tests.</summary>
internal static class TrainedModels
{
    public static Dataset Data() => SyntheticData.Generate(new SyntheticDataOptions { Users = 240, Items = 180, MeanInteractions = 14, Seed = 31 });

    public static SessionOptions Options(EncoderKind kind, int epochs = 3) => new()
    {
        Kind = kind,
        Adam = new AdamOptions { LearningRate = 1e-2 },
        Trainer = new TrainerOptions { Epochs = epochs, BatchSize = 64, Negatives = 10, Threads = 2, Seed = 3 },
        Encoder = new() { Dim = 16, Score = kind == EncoderKind.LightGcn ? ScoreKind.Dot : ScoreKind.Cosine, InitStd = kind == EncoderKind.LightGcn ? 0.1 : 1e-4 },
        SimpleX = new() { Gamma = 0.7, Aggregator = RecLoss.Core.Encoders.SimpleXAggregator.Mean },
    };

    public static IRowLoss Loss(EncoderKind kind) => kind == EncoderKind.LightGcn ? new BprLoss() : MultiMarginLoss.Yelp2018;

    /// <summary>Trains and returns the model with the run's result.</summary>
    public static (TrainedModel Model, TrainingResult Result, Dataset Data) Train(EncoderKind kind, int epochs = 3)
    {
        Dataset data = Data();
        SessionOptions options = Options(kind, epochs);
        IRowLoss loss = Loss(kind);
        TrainingResult result = new TrainingSession(options).Run(data, loss);
        ModelHeader header = ModelHeader.For(data, loss, options, result);
        return (TrainedModel.FromRun(data, header, result.Encoder), result, data);
    }
}
