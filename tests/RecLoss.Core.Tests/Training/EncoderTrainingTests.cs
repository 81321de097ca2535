using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

/// <summary>SimpleX and LightGCN through the generic trainer: reproducible, equal to MF where they should be, and learning.</summary>
public class EncoderTrainingTests
{
    private static Dataset SmallData() => SyntheticData.Generate(new SyntheticDataOptions { Users = 400, Items = 300, MeanInteractions = 20, Seed = 21 });

    private static SessionOptions Options(EncoderKind kind, int threads, int dim = 64, int epochs = 2) => new()
    {
        Kind = kind,
        Adam = new AdamOptions { LearningRate = kind == EncoderKind.LightGcn ? 1e-2 : 1e-3, L2 = kind == EncoderKind.LightGcn ? 1e-4 : 1e-8 },
        Trainer = new TrainerOptions { Epochs = epochs, BatchSize = 128, Negatives = kind == EncoderKind.LightGcn ? 1 : 20, Threads = threads, Seed = 7, EvaluateEvery = epochs },
        Encoder = new() { Dim = dim, InitStd = kind == EncoderKind.LightGcn ? 0.1 : 1e-4, Score = kind == EncoderKind.LightGcn ? ScoreKind.Dot : ScoreKind.Cosine },
        SimpleX = new SimpleXOptions { Gamma = 0.8 },
        L2Placement = kind == EncoderKind.LightGcn ? L2Placement.Batch : L2Placement.Tables,
        EpochRows = kind == EncoderKind.LightGcn ? EpochRows.UserUniform : EpochRows.Interactions,
    };

    private static IRowLoss LossFor(EncoderKind kind) => kind == EncoderKind.LightGcn ? new BprLoss() : MultiMarginLoss.Yelp2018;

    [Theory]
    [InlineData(EncoderKind.SimpleX)]
    [InlineData(EncoderKind.LightGcn)]
    public void SameSeed_OneAndTwoThreads_IdenticalParametersAtDimension64(EncoderKind kind)
    {
        Dataset data = SmallData();
        TrainingResult one = new TrainingSession(Options(kind, 1)).Run(data, LossFor(kind));
        TrainingResult two = new TrainingSession(Options(kind, 2)).Run(data, LossFor(kind));
        for (int p = 0; p < one.Encoder.Parameters.Count; p++)
        {
            Assert.Equal(one.Encoder.Parameters[p].Values, two.Encoder.Parameters[p].Values);
        }
        Assert.Equal(one.Epochs[^1].Loss, two.Epochs[^1].Loss);
    }

    [Theory]
    [InlineData(SimpleXAggregator.UserAttention, AttentionPadding.Reference)]
    [InlineData(SimpleXAggregator.SelfAttention, AttentionPadding.Masked)]
    public void Attention_OneAndTwoThreads_IdenticalParametersAtDimension64(SimpleXAggregator aggregator, AttentionPadding padding)
    {
        Dataset data = SmallData();
        TrainingResult[] runs = [.. new[] { 1, 2 }.Select(threads =>
        {
            SessionOptions o = Options(EncoderKind.SimpleX, threads);
            return new TrainingSession(new SessionOptions
            {
                Kind = o.Kind, Adam = o.Adam, Trainer = o.Trainer, Encoder = o.Encoder,
                SimpleX = new SimpleXOptions { Gamma = 0.8, Aggregator = aggregator, Padding = padding },
            }).Run(data, MultiMarginLoss.Yelp2018);
        })];
        Assert.Equal(6, runs[0].Encoder.Parameters.Count - (aggregator == SimpleXAggregator.SelfAttention ? 1 : 0));
        for (int p = 0; p < runs[0].Encoder.Parameters.Count; p++)
        {
            Assert.Equal(runs[0].Encoder.Parameters[p].Values, runs[1].Encoder.Parameters[p].Values);
        }
    }

    [Theory]
    [InlineData(EncoderKind.SimpleX)]
    [InlineData(EncoderKind.LightGcn)]
    public void HardAndUniformNegatives_OneAndTwoThreads_Identical(EncoderKind kind)
    {
        Dataset data = SmallData();
        TrainingResult[] runs = [.. new[] { 1, 2 }.Select(threads =>
        {
            SessionOptions o = Options(kind, threads, epochs: 1);
            return new TrainingSession(new SessionOptions
            {
                Kind = o.Kind, Adam = o.Adam, Encoder = o.Encoder, L2Placement = o.L2Placement, EpochRows = o.EpochRows,
                Trainer = new TrainerOptions { Epochs = 1, BatchSize = 128, Negatives = 8, Threads = threads, Seed = 7 },
                Sampler = new RecLoss.Core.Sampling.SamplerOptions { Mixture = [new(RecLoss.Core.Sampling.SamplerKind.Hard, 0.5), new(RecLoss.Core.Sampling.SamplerKind.Uniform, 0.5)] },
            }).Run(data, MultiMarginLoss.Yelp2018);
        })];
        for (int p = 0; p < runs[0].Encoder.Parameters.Count; p++)
        {
            Assert.Equal(runs[0].Encoder.Parameters[p].Values, runs[1].Encoder.Parameters[p].Values);
        }
    }

    [Fact]
    public void SimpleXWithGammaOne_TrainsExactlyAsMatrixFactorization()
    {
        // g = 1: the history branch contributes exact zeros; with clipping off its L2 cannot reach the users and items.
        Dataset data = SmallData();
        var adam = new AdamOptions { LearningRate = 1e-3, L2 = 1e-6, ClipNorm = 0 };
        var trainer = new TrainerOptions { Epochs = 2, BatchSize = 128, Negatives = 10, Threads = 2, Seed = 3 };
        var runner = new ParallelRunner(2);
        var mf = new MatrixFactorization(data.UserCount, data.ItemCount, new MatrixFactorizationOptions { Dim = 64 }, 3);
        var simplex = new SimpleX(data.Train, new SimpleXOptions { Dim = 64, Gamma = 1 }, 3);
        foreach (IEncoder encoder in new IEncoder[] { mf, simplex })
        {
            var sampling = new RecLoss.Core.Sampling.SamplerOptions().Create(data.Train, false, 10);
            var run = new EncoderTrainer<MultiMarginLoss>(MultiMarginLoss.Yelp2018, trainer, encoder, adam, L2Placement.Tables, sampling, data.Train, runner);
            run.RunEpoch(1, null, CancellationToken.None);
            run.RunEpoch(2, null, CancellationToken.None);
            run.Optimizer.CatchUpAll();
        }
        Assert.Equal(mf.Users.Weights, simplex.Parameters[0].Values);
        Assert.Equal(mf.Items.Weights, simplex.Parameters[1].Values);
    }

    [Theory]
    [InlineData(L2Placement.Tables, 10.0)]
    [InlineData(L2Placement.Batch, 10.0)]
    [InlineData(L2Placement.Tables, 0.0)]
    public void DeferredRows_EqualDenseAdamOverEveryRow_BitForBit(L2Placement l2, double clip)
    {
        // SimpleX reads few rows: idle rows' steps are replayed when read. Clipping at 10 does not bind here.
        Dataset data = SmallData();
        var adam = new AdamOptions { LearningRate = 1e-3, L2 = 1e-3, ClipNorm = clip };
        var trainer = new TrainerOptions { Epochs = 2, BatchSize = 64, Negatives = 10, Threads = 2, Seed = 3 };
        var encoders = new SimpleX[2];
        for (int k = 0; k < 2; k++)
        {
            encoders[k] = new SimpleX(data.Train, new SimpleXOptions { Dim = 64, Gamma = 0.7 }, 3);
            var sampling = new RecLoss.Core.Sampling.SamplerOptions().Create(data.Train, false, 10);
            var run = new EncoderTrainer<MultiMarginLoss>(MultiMarginLoss.Yelp2018, trainer, encoders[k], adam, l2, sampling, data.Train, new ParallelRunner(2),
                denseAdam: k == 1);
            run.RunEpoch(1, null, CancellationToken.None);
            run.RunEpoch(2, null, CancellationToken.None);
            run.Optimizer.CatchUpAll();
        }
        for (int p = 0; p < encoders[0].Parameters.Count; p++)
        {
            Assert.Equal(encoders[1].Parameters[p].Values, encoders[0].Parameters[p].Values);
        }
    }

    [Theory]
    [InlineData(EncoderKind.SimpleX)]
    [InlineData(EncoderKind.LightGcn)]
    public void Training_BeatsMostPopular(EncoderKind kind)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions());   // the demo's data: structure beyond popularity
        TrainingResult result = new TrainingSession(Options(kind, 2, dim: 32, epochs: 5)).Run(data, LossFor(kind));
        var evaluator = new Evaluator(new EvaluatorOptions(), new ParallelRunner(2));
        double popular = evaluator.Evaluate(FactorModel.MostPopular(data.Train), data.Train, data.Test!).At(20).Recall;
        double trained = result.Last.Record.Test!.At(20).Recall;
        Assert.True(trained > 1.1 * popular, $"{kind}: Recall@20 {trained:F4} against most-popular {popular:F4}");
    }
}
