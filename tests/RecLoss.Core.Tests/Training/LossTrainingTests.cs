using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Tests.Losses;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

/// <summary>Every loss through the real trainer: reproducible across thread counts, learning, and BSL's pooling.</summary>
public class LossTrainingTests
{
    private static Dataset SmallData() => SyntheticData.Generate(new SyntheticDataOptions { Users = 400, Items = 300, MeanInteractions = 20, Seed = 13 });

    private static SessionOptions Options(IRowLoss loss, int threads, int epochs, int batch = 128, int negatives = 20) => new()
    {
        Adam = new AdamOptions { LearningRate = 1e-3 },
        Trainer = new TrainerOptions { Epochs = epochs, BatchSize = batch, Negatives = negatives, Threads = threads, Seed = 5, EvaluateEvery = epochs, ExcludePositives = true },
        Encoder = new() { Dim = 16, Score = loss.DefaultScore },
    };

    [Theory]
    [MemberData(nameof(LossPropertyTests.Names), MemberType = typeof(LossPropertyTests))]
    [InlineData("bsl-pooled")]
    public void Run_AnyLoss_SameResultOnOneAndTwoThreads(string name)
    {
        IRowLoss loss = name == "bsl-pooled" ? new BilateralSoftmaxLoss(0.11, 1.1, poolPositives: true) : LossPropertyTests.Create(name);
        Dataset data = SmallData();
        TrainingResult one = new TrainingSession(Options(loss, 1, 2)).Run(data, loss);
        TrainingResult two = new TrainingSession(Options(loss, 2, 2)).Run(data, loss);
        Assert.Equal(one.Encoder.Parameters[1].Values, two.Encoder.Parameters[1].Values);
        Assert.Equal(one.Encoder.Parameters[0].Values, two.Encoder.Parameters[0].Values);
        Assert.True(double.IsFinite(two.Epochs[^1].Loss), $"{name}: loss {two.Epochs[^1].Loss}");
    }

    [Theory]
    [InlineData("bpr")]
    [InlineData("ssm")]
    [InlineData("sl")]
    [InlineData("bsl")]
    [InlineData("simce")]
    [InlineData("hinge")]
    [InlineData("triplet")]
    [InlineData("contrastive")]
    public void Run_GeneratedData_BeatsMostPopular(string name)
    {
        IRowLoss loss = LossPropertyTests.Create(name);
        Dataset data = SmallData();
        TrainingResult result = new TrainingSession(Options(loss, 2, 12, batch: 64, negatives: 50)).Run(data, loss);
        double model = result.Last.Record.Test!.At(20).Recall;
        var evaluator = new Evaluator(new EvaluatorOptions(), new ParallelRunner(2));
        double popular = evaluator.Evaluate(FactorModel.MostPopular(data.Train), data.Train, data.Test!).At(20).Recall;
        Assert.True(model > 1.1 * popular, $"{name}: Recall@20 {model:F4} vs most-popular {popular:F4}");
    }

    [Fact]
    public void PooledBsl_OneRowPerBatch_EqualsSingleFormBitForBit()
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 40, Items = 30, MeanInteractions = 5, Seed = 3 });
        var single = new BilateralSoftmaxLoss(0.2, 1.3);
        var pooled = new BilateralSoftmaxLoss(0.2, 1.3, poolPositives: true);
        TrainingResult a = new TrainingSession(Options(single, 2, 1, batch: 1, negatives: 5)).Run(data, single);
        TrainingResult b = new TrainingSession(Options(pooled, 2, 1, batch: 1, negatives: 5)).Run(data, pooled);
        Assert.Equal(a.Encoder.Parameters[0].Values, b.Encoder.Parameters[0].Values);
        Assert.Equal(a.Encoder.Parameters[1].Values, b.Encoder.Parameters[1].Values);
    }

    [Fact]
    public void PooledBsl_UsersWithSeveralRowsInABatch_DiffersFromSingleForm()
    {
        Dataset data = SmallData();
        var single = new BilateralSoftmaxLoss(0.2, 1.3);
        var pooled = new BilateralSoftmaxLoss(0.2, 1.3, poolPositives: true);
        TrainingResult a = new TrainingSession(Options(single, 2, 1, batch: 256)).Run(data, single);
        TrainingResult b = new TrainingSession(Options(pooled, 2, 1, batch: 256)).Run(data, pooled);
        Assert.NotEqual(a.Encoder.Parameters[0].Values, b.Encoder.Parameters[0].Values);
    }

    [Fact]
    public void DistanceLoss_WithDotScore_IsRejected()
    {
        var loss = new TripletLoss();
        var options = Options(loss, 1, 1);
        var dot = new SessionOptions { Adam = options.Adam, Trainer = options.Trainer, Encoder = new() { Dim = 16, Score = ScoreKind.Dot } };
        var e = Assert.Throws<ArgumentException>(() => new TrainingSession(dot).Run(SmallData(), loss));
        Assert.Contains("Cosine scores only", e.Message);
    }
}
