using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Tests.Encoders;
using RecLoss.Core.Training;
using RecLoss.Core.Training.Phases;

namespace RecLoss.Core.Tests.Training;

/// <summary>In-batch-all as dense products against the gathered row and item phases every other sampler uses.</summary>
public class InBatchDensePhaseTests
{
    private static readonly Dataset s_data = SyntheticData.Generate(new SyntheticDataOptions { Users = 120, Items = 90, MeanInteractions = 10, Seed = 3 });

    [Theory]
    [InlineData("lightgcn", ScoreKind.Cosine, "bsl", 0.0, 40, 8)]
    [InlineData("lightgcn", ScoreKind.Dot, "bpr", 0.0, 40, 40)]     // dim 40: two panels of 32 in G V~
    [InlineData("lightgcn", ScoreKind.Cosine, "sl", 0.0, 17, 40)]    // a short batch: slots cycle over its other rows
    [InlineData("mf", ScoreKind.Cosine, "bce", 0.3, 40, 8)]          // dropout, and the sum over rows
    [InlineData("mf", ScoreKind.Dot, "mml", 0.2, 9, 8)]
    public void DenseProducts_GiveTheGatheredPhasesLossAndGradients(string encoderName, ScoreKind score, string lossName, double dropout, int rows, int dim)
    {
        switch (lossName)
        {
            case "bsl": Compare(new BilateralSoftmaxLoss(0.15, 1.12), encoderName, score, dropout, rows, dim); break;
            case "sl": Compare(new SoftmaxLoss(0.2), encoderName, score, dropout, rows, dim); break;
            case "bpr": Compare(new BprLoss(), encoderName, score, dropout, rows, dim); break;
            case "bce": Compare(new BinaryCrossEntropyLoss(), encoderName, score, dropout, rows, dim); break;
            default: Compare(new MultiMarginLoss(), encoderName, score, dropout, rows, dim); break;
        }
    }

    private const int Capacity = 40, Slots = Capacity;   // in-batch-all: B - 1 negatives

    private static StepBatch Batch(int rows, int dim, int offset, double dropout, ParallelRunner runner)
    {
        var batch = new StepBatch(Capacity, Slots, dim) { Size = rows, Epoch = 1 };
        for (int r = 0; r < rows; r++)
        {
            int user = (offset + 13 * r) % s_data.UserCount;
            batch.Users[r] = user;
            batch.Targets[r] = s_data.Train.Row(user)[r % s_data.Train.RowLength(user)];
        }
        batch.Targets[1] = batch.Targets[0];   // two rows share a positive: its item gradient sums two columns
        NegativeSampling sampling = new SamplerOptions { Kind = SamplerKind.InBatchAll }.Create(s_data.Train, false, Slots - 1);
        new DrawPhase(sampling, 11, dropout).Run(batch, runner);
        return batch;
    }

    private static void Compare<TLoss>(TLoss loss, string encoderName, ScoreKind score, double dropout, int rows, int dim)
        where TLoss : struct, IRowLoss
    {
        IEncoder encoder = encoderName == "mf"
            ? new MatrixFactorization(s_data.UserCount, s_data.ItemCount, new MatrixFactorizationOptions { Dim = dim, Score = score, InitStd = 0.5 }, 5)
            : new LightGcn(s_data.Train, new LightGcnOptions { Dim = dim, Layers = 2, Score = score, Init = InitKind.XavierUniform }, 5);
        var runner = new ParallelRunner(2);
        encoder.BeginStepOnAll(runner);
        var gathered = new RowPhase<TLoss>(loss, score, Capacity, Slots, dim);
        var dense = new InBatchDensePhase<TLoss>(loss, score, Capacity, Slots, dim, encoder.ItemCount);

        // A full batch of other rows first, so that a smaller batch after it would show anything left over.
        StepBatch first = Batch(Capacity, dim, 3, dropout, runner);
        encoder.UserVectors(first.ActiveUsers, first.ActiveTargets, gathered.UserVectors.AsSpan(0, Capacity * dim), runner);
        dense.RunRows(first, encoder, gathered.UserVectors, dropout > 0, runner);
        dense.RunItems(runner);

        StepBatch batch = Batch(rows, dim, 7, dropout, runner);
        encoder.UserVectors(batch.ActiveUsers, batch.ActiveTargets, gathered.UserVectors.AsSpan(0, rows * dim), runner);
        double gatheredLoss = gathered.Run(batch, encoder, dropout > 0, runner);
        var items = new ItemGradientPhase(encoder.ItemCount, dim, runner.Threads);
        items.Run(batch, encoder, gathered.UserTilde, gathered.CoefA, gathered.CoefB, runner);
        double denseLoss = dense.RunRows(batch, encoder, gathered.UserVectors, dropout > 0, runner);
        dense.RunItems(runner);

        Assert.Equal(gatheredLoss, denseLoss, Math.Abs(gatheredLoss) * 1e-5 + 1e-6);
        AssertClose(gathered.UserGradients.AsSpan(0, rows * dim), dense.UserGradients.AsSpan(0, rows * dim));
        Assert.Equal(items.Rows.ToArray(), dense.Rows.ToArray());
        Assert.True(dense.Rows.Length > 1);
        foreach (int item in dense.Rows)
        {
            AssertClose(items.Gradient.AsSpan(item * dim, dim), dense.Gradient.AsSpan(item * dim, dim));
        }

        // One thread gives the same bits as two.
        var single = new InBatchDensePhase<TLoss>(loss, score, Capacity, Slots, dim, encoder.ItemCount);
        Assert.Equal(denseLoss, single.RunRows(batch, encoder, gathered.UserVectors, dropout > 0, new ParallelRunner(1)));
        single.RunItems(new ParallelRunner(1));
        Assert.Equal(dense.UserGradients.AsSpan(0, rows * dim).ToArray(), single.UserGradients.AsSpan(0, rows * dim).ToArray());
        Assert.Equal(dense.Rows.ToArray(), single.Rows.ToArray());
        foreach (int item in dense.Rows)
        {
            Assert.Equal(dense.Gradient.AsSpan(item * dim, dim).ToArray(), single.Gradient.AsSpan(item * dim, dim).ToArray());
        }
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        float scale = 0;
        foreach (float v in expected)
        {
            scale = MathF.Max(scale, MathF.Abs(v));
        }
        Assert.True(scale > 0, "the gradients are all zero: nothing is compared");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f * scale, $"element {i}: gathered {expected[i]}, dense {actual[i]}");
        }
    }

    // MF reads few rows, so its trainer catches up and steps only the rows the batch reads (taken from the positives
    // when the slots are not written out); L2 on the batch's rows counts the slots, so that one writes them.
    [Theory]
    [InlineData("lightgcn", L2Placement.Tables, 0.0)]
    [InlineData("lightgcn", L2Placement.BatchLayers, 0.0)]
    [InlineData("mf", L2Placement.Tables, 0.2)]
    [InlineData("mf", L2Placement.Batch, 0.0)]
    public void TheTrainer_TrainsAsTheGatheredPath_ToRounding(string encoderName, L2Placement l2, double dropout)
    {
        (double Loss, float[] Values) Train(bool gathered)
        {
            IEncoder encoder = encoderName == "mf"
                ? new MatrixFactorization(s_data.UserCount, s_data.ItemCount, new MatrixFactorizationOptions { Dim = 8, Score = ScoreKind.Cosine, InitStd = 0.5 }, 2)
                : new LightGcn(s_data.Train, new LightGcnOptions { Dim = 8, Layers = 1, Score = ScoreKind.Cosine, Init = InitKind.XavierUniform, LayerL2 = l2 == L2Placement.BatchLayers }, 2);
            var options = new TrainerOptions { Epochs = 1, BatchSize = 50, Negatives = 49, Seed = 4, Threads = 2, Dropout = dropout, GatheredInBatchAll = gathered };
            NegativeSampling sampling = new SamplerOptions { Kind = SamplerKind.InBatchAll }.Create(s_data.Train, false, options.Negatives);
            var trainer = new EncoderTrainer<BilateralSoftmaxLoss>(new BilateralSoftmaxLoss(0.15, 1.12), options, encoder,
                new AdamOptions { LearningRate = 1e-3, L2 = l2 == L2Placement.Tables ? 0 : 1e-2, ClipNorm = 0 }, l2, sampling, s_data.Train, new ParallelRunner(2));
            double loss = trainer.RunEpoch(1, null, CancellationToken.None);
            return (loss, [.. encoder.Parameters.SelectMany(p => p.Values.ToArray())]);
        }
        (double gatheredLoss, float[] gatheredValues) = Train(gathered: true);
        (double denseLoss, float[] denseValues) = Train(gathered: false);
        Assert.Equal(gatheredLoss, denseLoss, gatheredLoss * 1e-5);
        double largest = 0;
        for (int i = 0; i < gatheredValues.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(gatheredValues[i] - denseValues[i]));
        }
        Assert.InRange(largest, 0, 1e-4);   // Adam steps of 1e-3: the two ways agree to a tenth of a step
    }

    // A last batch of one row has no other row's positive: both paths refuse it as the sampler does, naming the fix.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AOneRowLastBatch_IsRefused_OnBothPaths(bool gathered)
    {
        int rows = s_data.Train.Count;
        int batch = Enumerable.Range(20, rows).First(b => rows % b == 1);   // at worst rows - 1
        var encoder = new LightGcn(s_data.Train, new LightGcnOptions { Dim = 8, Layers = 1, Score = ScoreKind.Cosine }, 2);
        var options = new TrainerOptions { Epochs = 1, BatchSize = batch, Negatives = batch - 1, Seed = 4, Threads = 1, Dropout = 0, GatheredInBatchAll = gathered };
        NegativeSampling sampling = new SamplerOptions { Kind = SamplerKind.InBatchAll }.Create(s_data.Train, false, options.Negatives);
        var trainer = new EncoderTrainer<SoftmaxLoss>(new SoftmaxLoss(0.2), options, encoder,
            new AdamOptions { LearningRate = 1e-3, L2 = 0, ClipNorm = 0 }, L2Placement.Tables, sampling, s_data.Train, new ParallelRunner(1));
        var error = Assert.Throws<NoNegativeException>(() => trainer.RunEpoch(1, null, CancellationToken.None));
        Assert.Contains("only row of its batch", error.Reason);
        Assert.Contains("--batch-size", error.Reason);
    }

    [Fact]
    public void SlotsFromTargets_ActiveItems_Throws_ReadItems_IsThePositives()
    {
        var batch = new StepBatch(4, 4, 8, slotsFromTargets: true) { Size = 3 };
        batch.Targets[0] = 5;
        batch.Targets[1] = 7;
        batch.Targets[2] = 9;
        Assert.Empty(batch.Items);
        Assert.Throws<InvalidOperationException>(() => batch.ActiveItems.Length);
        Assert.Equal([5, 7, 9], batch.ReadItems.ToArray());
    }
}
