using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

public class EarlyStoppingTests
{
    private static Dataset Data() => Splitter.CarveValidation(
        SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 15, Seed = 21 }), 0.2, 4);

    private static SessionOptions Options(int epochs, int patience, SelectionSplit selectOn = SelectionSplit.Validation) => new()
    {
        // A large step size so the validation curve turns over within a few epochs.
        Adam = new AdamOptions { LearningRate = 3e-2 },
        Trainer = new TrainerOptions { Epochs = epochs, BatchSize = 64, Negatives = 10, Threads = 2, Seed = 9 },
        Encoder = new() { Dim = 16 },
        Patience = patience,
        SelectOn = selectOn,
    };

    [Theory]
    [InlineData(1, SelectionMetric.Recall)]
    [InlineData(2, SelectionMetric.Recall)]
    [InlineData(1, SelectionMetric.Ndcg)]
    public void Patience_StopsWhereTheRuleSays_AndRestoresTheBestEpochExactly(int patience, SelectionMetric metric)
    {
        Dataset data = Data();
        var loss = MultiMarginLoss.Yelp2018;
        TrainingResult full = new TrainingSession(Options(12, 0)).Run(data, loss);

        // The rule applied to the full run's validation curve.
        int bestEpoch = 0, stopEpoch = 12, since = 0;
        double best = double.NegativeInfinity;
        foreach (EpochRecord r in full.Epochs)
        {
            double score = metric == SelectionMetric.Ndcg ? r.Validation!.At(20).Ndcg : r.Validation!.At(20).Recall;
            if (score > best)
            {
                (best, bestEpoch, since) = (score, r.Epoch, 0);
            }
            else if (++since >= patience)
            {
                stopEpoch = r.Epoch;
                break;
            }
        }

        TrainingResult stopped = new TrainingSession(Options(12, patience) with { SelectionMetric = metric }).Run(data, loss);
        Assert.Equal(stopEpoch, stopped.Epochs.Count);
        Assert.Equal(stopEpoch < 12, stopped.StoppedEarly);
        if (patience == 1)
        {
            // This seed's validation curve dips before epoch 12, so the stopping path itself is exercised.
            Assert.True(stopped.StoppedEarly, $"best {bestEpoch}, stop {stopEpoch}");
        }
        Assert.Equal(bestEpoch, stopped.Restored!.Record.Epoch);
        Assert.Equal("best-validation", stopped.Restored.Selection);

        // The restored embeddings are those of a run that simply ends at the best epoch.
        TrainingResult upToBest = new TrainingSession(Options(bestEpoch, 0)).Run(data, loss);
        Assert.Equal(upToBest.Encoder.Parameters[0].Values, stopped.Encoder.Parameters[0].Values);
        Assert.Equal(upToBest.Encoder.Parameters[1].Values, stopped.Encoder.Parameters[1].Values);
    }

    [Fact]
    public void SelectOnTest_IsLabelledTestSelected()
    {
        TrainingResult result = new TrainingSession(Options(4, 1, SelectionSplit.Test)).Run(Data(), MultiMarginLoss.Yelp2018);
        Assert.Contains("test-selected", result.Restored!.Selection);
    }

    [Fact]
    public void EarlyStoppingWithoutValidation_IsRejected()
    {
        Dataset noValidation = SyntheticData.Generate(new SyntheticDataOptions { Users = 50, Items = 40, MeanInteractions = 5, Seed = 1 });
        var e = Assert.Throws<ArgumentException>(() => new TrainingSession(Options(2, 1)).Run(noValidation, MultiMarginLoss.Yelp2018));
        Assert.Contains("validation split", e.Message);
    }

    [Fact]
    public void The_ndcg_metric_selects_the_epochs_of_best_ndcg_on_each_split()
    {
        Dataset data = Data();
        var loss = MultiMarginLoss.Yelp2018;
        TrainingResult byRecall = new TrainingSession(Options(12, 0)).Run(data, loss);
        TrainingResult byNdcg = new TrainingSession(Options(12, 0) with { SelectionMetric = SelectionMetric.Ndcg }).Run(data, loss);

        Assert.Equal(byNdcg.Epochs.MaxBy(e => e.Validation!.At(20).Ndcg)!.Epoch, byNdcg.BestValidation!.Record.Epoch);
        Assert.Equal(byNdcg.Epochs.MaxBy(e => e.Test!.At(20).Ndcg)!.Epoch, byNdcg.BestTest!.Record.Epoch);
        // The same training either way; only the choice differs, and on this curve it does.
        Assert.Equal(byRecall.Epochs.Select(e => e.Loss), byNdcg.Epochs.Select(e => e.Loss));
        Assert.NotEqual(byRecall.BestValidation!.Record.Epoch, byNdcg.BestValidation.Record.Epoch);
    }
}
