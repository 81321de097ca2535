using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Training;

/// <summary>Dropout before the cosine's normalisation (the BSL code's order) in MF's own trainer.</summary>
public class DropoutOrderTrainingTests
{
    private static readonly Dataset s_data = SyntheticData.Generate(new SyntheticDataOptions { Users = 200, Items = 150, MeanInteractions = 12, Seed = 8 });

    private static SessionOptions Options(double dropout, bool first) => new()
    {
        Adam = new AdamOptions { LearningRate = 1e-2, L2 = 1e-3 },
        Trainer = new TrainerOptions { Epochs = 1, BatchSize = 64, Negatives = 10, Threads = 2, Seed = 4, Dropout = dropout, DropoutBeforeNormalisation = first },
        Encoder = new() { Dim = 16 },
        L2Placement = L2Placement.Batch,
    };

    private static float[] TrainedUsers(SessionOptions options, bool pooled = true)
    {
        TrainingSession.Parts parts = TrainingSession.Build(s_data, new BilateralSoftmaxLoss(0.11, 1.1, poolPositives: pooled), options);
        Assert.IsType<MatrixFactorizationTrainer<BilateralSoftmaxLoss>>(parts.Trainer);
        parts.Trainer.RunEpoch(1, null, CancellationToken.None);
        parts.Optimizer.CatchUpAll();
        return parts.Encoder.Users.Weights.AsSpan().ToArray();
    }

    [Fact]
    public void The_order_changes_training_only_when_there_is_dropout()
    {
        float[] after = TrainedUsers(Options(0.3, first: false)), before = TrainedUsers(Options(0.3, first: true));
        double difference = after.Zip(before, (a, b) => Math.Abs(a - b)).Sum(), size = after.Sum(x => Math.Abs(x));
        Assert.True(difference > 1e-3 * size, $"the order moved the users by {difference / size:E2} of their size");
        Assert.Equal(TrainedUsers(Options(0, first: false)), TrainedUsers(Options(0, first: true)));
    }

    /// <summary>With one row per batch pooling changes nothing, so the pooled path (scores, then gradients, in two
    /// calls) and the single-row path (one call) must agree: both honour the order in the forward and the backward pass.</summary>
    [Fact]
    public void The_pooled_and_the_single_row_paths_agree_on_the_order()
    {
        SessionOptions options = Options(0.3, first: true);
        options = options with { Trainer = new TrainerOptions { Epochs = 1, BatchSize = 1, Negatives = 10, Threads = 2, Seed = 4, Dropout = 0.3, DropoutBeforeNormalisation = true } };
        float[] pooled = TrainedUsers(options, pooled: true), single = TrainedUsers(options, pooled: false);
        double difference = pooled.Zip(single, (a, b) => Math.Abs(a - b)).Sum(), size = single.Sum(x => Math.Abs(x));
        Assert.True(difference < 1e-5 * size, $"the two paths differ by {difference / size:E2} of the users' size");
        float[] after = TrainedUsers(options with { Trainer = new TrainerOptions { Epochs = 1, BatchSize = 1, Negatives = 10, Threads = 2, Seed = 4, Dropout = 0.3 } });
        Assert.True(after.Zip(single, (a, b) => Math.Abs(a - b)).Sum() > 1e-3 * size);   // and the order matters at this size
    }

    [Fact]
    public void The_generic_trainer_refuses_the_order_it_does_not_implement()
    {
        SessionOptions options = Options(0.1, first: true);
        var mf = new MatrixFactorization(s_data.UserCount, s_data.ItemCount, options.Encoder, options.Trainer.Seed);
        NegativeSampling sampling = new SamplerOptions().Create(s_data.Train, false, options.Trainer.Negatives);
        var e = Assert.Throws<ArgumentException>(() => new EncoderTrainer<MultiMarginLoss>(MultiMarginLoss.Yelp2018, options.Trainer, mf, options.Adam,
            options.L2Placement, sampling, s_data.Train, new ParallelRunner(2)));
        Assert.Contains("MF trainer only", e.Message);
    }
}
