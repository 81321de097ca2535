using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Training;

/// <summary>The samplers through the real trainer: reproducibility, timing, and what hard negatives pick.</summary>
public class SamplingTrainingTests
{
    private static Dataset SmallData() => SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 15, Seed = 8 });

    private static SessionOptions Options(SamplerOptions sampler, int threads, int epochs = 2, int negatives = 20) => new()
    {
        Adam = new AdamOptions { LearningRate = 1e-3 },
        Trainer = new TrainerOptions { Epochs = epochs, BatchSize = 100, Negatives = negatives, Threads = threads, Seed = 6, EvaluateEvery = epochs },
        Encoder = new() { Dim = 16 },
        Sampler = sampler,
    };

    public static TheoryData<string> Samplers => ["in-batch", "hard", "hard+uniform", "popularity+in-batch"];

    private static SamplerOptions Sampler(string name) => name switch
    {
        "in-batch" => new() { Kind = SamplerKind.InBatch },
        "hard" => new() { Kind = SamplerKind.Hard },
        "hard+uniform" => new() { Mixture = [new(SamplerKind.Hard, 0.25), new(SamplerKind.Uniform, 0.75)], HardCandidates = 30 },
        _ => new() { Mixture = [new(SamplerKind.Popularity, 0.5), new(SamplerKind.InBatch, 0.5)], Alpha = 0.5 },
    };

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Run_AnySampler_SameResultOnOneAndTwoThreads(string name)
    {
        var loss = new MultiMarginLoss();
        Dataset data = SmallData();
        TrainingResult one = new TrainingSession(Options(Sampler(name), 1)).Run(data, loss);
        TrainingResult two = new TrainingSession(Options(Sampler(name), 2)).Run(data, loss);
        Assert.Equal(one.Encoder.Parameters[0].Values, two.Encoder.Parameters[0].Values);
        Assert.Equal(one.Encoder.Parameters[1].Values, two.Encoder.Parameters[1].Values);
    }

    [Fact]
    public void PerEpochDraws_EqualPerBatchDraws_BitForBit()
    {
        // Each row draws from its own stream (seed, epoch, position), so when it draws cannot change what it draws.
        var loss = new MultiMarginLoss();
        Dataset data = SmallData();
        var perEpoch = new SamplerOptions { Kind = SamplerKind.Popularity, Timing = NegativeDrawTiming.PerEpoch };
        TrainingResult a = new TrainingSession(Options(new SamplerOptions { Kind = SamplerKind.Popularity }, 2)).Run(data, loss);
        TrainingResult b = new TrainingSession(Options(perEpoch, 2)).Run(data, loss);
        Assert.Equal(a.Encoder.Parameters[1].Values, b.Encoder.Parameters[1].Values);
        Assert.Equal(a.Epochs.Select(e => e.Loss), b.Epochs.Select(e => e.Loss));
    }

    [Fact]
    public void HardNegatives_OnATrainedModel_ScoreHigherThanTheirUniformCandidates()
    {
        Dataset data = SmallData();
        var loss = new MultiMarginLoss();
        SessionOptions options = Options(new SamplerOptions { Kind = SamplerKind.Hard, HardCandidates = 40 }, 2, epochs: 6, negatives: 10);
        TrainingSession.Parts parts = TrainingSession.Build(data, loss, options);
        for (int epoch = 1; epoch <= options.Trainer.Epochs; epoch++)
        {
            parts.Trainer.RunEpoch(epoch, null, CancellationToken.None);
        }
        parts.Optimizer.CatchUpAll();
        var trainer = (MatrixFactorizationTrainer<MultiMarginLoss>)parts.Trainer;
        FloatBuffer users = parts.Encoder.Parameters[0].Values, items = parts.Encoder.Parameters[1].Values;
        double Score(int u, int i) => VectorKernels.Dot<float>(users.AsSpan(u * 16, 16), items.AsSpan(i * 16, 16))
            / Math.Sqrt(VectorKernels.SumOfSquares<float>(users.AsSpan(u * 16, 16)) * VectorKernels.SumOfSquares<float>(items.AsSpan(i * 16, 16)));
        double hardMean = 0, candidateMean = 0;
        int rows = trainer.LastBatchSize, better = 0;
        for (int r = 0; r < rows; r++)
        {
            (int u, int[] slots, int[] candidates) = trainer.LastBatchRow(r);
            int[] hard = slots[1..];
            Assert.All(hard, i => Assert.Contains(i, candidates));
            Assert.All(candidates, i => Assert.False(data.Train.Contains(u, i), $"user {u}: candidate {i} is a train item"));
            double h = hard.Average(i => Score(u, i)), c = candidates.Average(i => Score(u, i));
            hardMean += h / rows;
            candidateMean += c / rows;
            better += h > c ? 1 : 0;
        }
        // The model moved by one step after the selection, so per-row order may flip; on average it cannot.
        Assert.True(better >= rows * 0.95, $"{better} of {rows} rows have hard negatives scored above their candidates");
        Assert.True(hardMean > candidateMean + 0.1, $"cosine: hard {hardMean:F4} vs uniform candidates {candidateMean:F4}");
    }

    [Fact]
    public void InBatch_TrainsAndNeverUsesTheUsersOwnItems()
    {
        Dataset data = SmallData();
        var loss = new MultiMarginLoss();
        SessionOptions options = Options(new SamplerOptions { Kind = SamplerKind.InBatch }, 2, epochs: 1);
        TrainingSession.Parts parts = TrainingSession.Build(data, loss, options);
        parts.Trainer.RunEpoch(1, null, CancellationToken.None);
        var trainer = (MatrixFactorizationTrainer<MultiMarginLoss>)parts.Trainer;
        int rows = trainer.LastBatchSize;
        var positives = Enumerable.Range(0, rows).Select(r => trainer.LastBatchRow(r).Items[0]).ToHashSet();
        for (int r = 0; r < rows; r++)
        {
            (int u, int[] slots, _) = trainer.LastBatchRow(r);
            Assert.All(slots[1..], i =>
            {
                Assert.False(data.Train.Contains(u, i), $"user {u} got its own item {i}");
                Assert.Contains(i, positives);
            });
        }
    }
}
