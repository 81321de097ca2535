using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Tests.Models;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

public class PlateauTests
{
    private static Dataset Data() => Splitter.CarveValidation(
        SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 15, Seed = 21 }), 0.2, 4);

    private const double Rate = 3e-2;   // large, so the validation curve stalls within a few epochs

    private static SessionOptions Options(EncoderKind kind, PlateauOptions plateau, int epochs = 12, int patience = 0) =>
        TrainedModels.Options(kind, epochs) with
        {
            Adam = new AdamOptions { LearningRate = Rate },
            Trainer = new TrainerOptions { Epochs = epochs, BatchSize = 64, Negatives = 10, Threads = 2, Seed = 9 },
            Plateau = plateau,
            Patience = patience,
        };

    [Theory]
    [InlineData(0.1, 1e-6, 3e-2, 3e-3)]
    [InlineData(0.1, 1e-6, 5e-6, 1e-6)]    // floored
    [InlineData(0.5, 1e-6, 1e-7, 1e-7)]    // already under the floor: kept, not raised to it
    [InlineData(0.1, 0, 1e-9, 1e-10)]
    public void The_next_rate_is_the_rate_times_the_factor_floored_and_never_raised(double factor, double floor, double rate, double expected) =>
        Assert.Equal(expected, new PlateauOptions { Factor = factor, MinLearningRate = floor }.Next(rate), 15);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void A_factor_outside_zero_one_is_refused_naming_it(double factor)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingSession(Options(EncoderKind.MatrixFactorization, new PlateauOptions { Factor = factor })));
        Assert.Equal("Factor", e.ParamName);
    }

    [Fact]
    public void Without_a_validation_split_the_schedule_is_refused_before_training()
    {
        Dataset data = TrainedModels.Data();
        var e = Assert.Throws<ArgumentException>(() => new TrainingSession(Options(EncoderKind.MatrixFactorization, new PlateauOptions())).Run(data, MultiMarginLoss.Yelp2018));
        Assert.Contains("plateau schedule watches the validation split", e.Message);
    }

    /// <summary>A factor so small that the cut rate moves no parameter: from the first plateau on, every epoch must
    /// score exactly as the best one, which only holds if the best parameters were put back (MF's deferred replay and
    /// the generic trainer's block optimizers).</summary>
    [Theory]
    [InlineData(EncoderKind.MatrixFactorization)]
    [InlineData(EncoderKind.SimpleX)]
    [InlineData(EncoderKind.LightGcn)]
    public void After_a_plateau_the_run_goes_on_from_the_best_epoch_at_the_cut_rate(EncoderKind kind)
    {
        Dataset data = Data();
        TrainingResult result = new TrainingSession(Options(kind, new PlateauOptions { Factor = 1e-30, MinLearningRate = 0 }))
            .Run(data, TrainedModels.Loss(kind));
        IReadOnlyList<EpochRecord> epochs = result.Epochs;

        // The first stall: an epoch no better than every one before it.
        int stall = Enumerable.Range(1, epochs.Count - 1).FirstOrDefault(i =>
            epochs[i].Validation!.At(20).Recall <= epochs.Take(i).Max(e => e.Validation!.At(20).Recall));
        Assert.True(stall > 0 && stall < epochs.Count - 1, "the validation curve never stalled in time: the test checks nothing");
        EpochRecord best = epochs.Take(stall).MaxBy(e => e.Validation!.At(20).Recall)!;
        Assert.NotEqual(best.Validation!.Metrics, epochs[stall].Validation!.Metrics);
        Assert.All(epochs.Take(stall + 1), e => Assert.Equal(Rate, e.LearningRate));
        for (int i = stall + 1; i < epochs.Count; i++)
        {
            Assert.True(epochs[i].LearningRate < epochs[i - 1].LearningRate);
            Assert.Equal(best.Validation.Metrics, epochs[i].Validation!.Metrics);
            Assert.Equal(best.Test!.Metrics, epochs[i].Test!.Metrics);
        }
        Assert.Equal(best.Epoch, result.Restored!.Record.Epoch);
    }

    [Fact]
    public void Without_the_schedule_epochs_record_no_rate_and_the_last_epoch_is_kept()
    {
        Dataset data = Data();
        SessionOptions options = Options(EncoderKind.MatrixFactorization, new PlateauOptions()) with { Plateau = null };
        TrainingResult result = new TrainingSession(options).Run(data, MultiMarginLoss.Yelp2018);
        Assert.All(result.Epochs, e => Assert.Null(e.LearningRate));
        Assert.Null(result.Restored);
    }

    [Fact]
    public void With_patience_the_schedule_cuts_on_each_stall_until_patience_runs_out()
    {
        Dataset data = Data();
        TrainingResult result = new TrainingSession(Options(EncoderKind.MatrixFactorization, new PlateauOptions { Factor = 0.5 }, epochs: 40, patience: 2))
            .Run(data, MultiMarginLoss.Yelp2018);

        // Each stall before the last halves the rate; the second stall in a row stops the run.
        double rate = Rate, best = double.NegativeInfinity;
        int since = 0;
        foreach (EpochRecord r in result.Epochs)
        {
            Assert.Equal(rate, r.LearningRate!.Value, 15);
            double recall = r.Validation!.At(20).Recall;
            if (recall > best)
            {
                (best, since) = (recall, 0);
            }
            else if (++since < 2)
            {
                rate *= 0.5;
            }
        }
        Assert.True(result.StoppedEarly);
        Assert.Equal(2, since);
        Assert.True(rate < Rate, "no plateau before the stop: the test checks nothing");
    }
}
