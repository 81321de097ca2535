using RecLoss.Numerics;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

public class TrainingTests
{
    private static Dataset SmallData() => SyntheticData.Generate(new SyntheticDataOptions { Users = 600, Items = 400, MeanInteractions = 25, Seed = 11 });

    private static SessionOptions Options(int threads, int epochs, bool exclude = false, int dim = 32) => new()
    {
        Adam = new AdamOptions { LearningRate = 1e-3 },
        Trainer = new TrainerOptions { Epochs = epochs, BatchSize = 128, Negatives = 20, Threads = threads, Seed = 5, EvaluateEvery = epochs, ExcludePositives = exclude },
        Encoder = new() { Dim = dim },
    };

    [Theory]
    [InlineData(32)]
    [InlineData(64)]   // the width training uses: the gathered dot products' FMA path and the eight-chain replay
    public void Run_SameSeedDifferentThreadCounts_GivesIdenticalEmbeddings(int dim)
    {
        Dataset data = SmallData();
        TrainingResult one = new TrainingSession(Options(1, 2, dim: dim)).Run(data, MultiMarginLoss.Yelp2018);
        TrainingResult two = new TrainingSession(Options(2, 2, dim: dim)).Run(data, MultiMarginLoss.Yelp2018);
        Assert.Equal(one.Encoder.Parameters[0].Values, two.Encoder.Parameters[0].Values);
        Assert.Equal(one.Encoder.Parameters[1].Values, two.Encoder.Parameters[1].Values);
        Assert.Equal(one.Epochs[^1].Loss, two.Epochs[^1].Loss);
    }

    [Fact]
    public void Run_DifferentSeeds_GiveDifferentEmbeddings()
    {
        Dataset data = SmallData();
        TrainingResult a = new TrainingSession(Options(2, 1)).Run(data, MultiMarginLoss.Yelp2018);
        var other = Options(2, 1);
        var b = new TrainingSession(new SessionOptions { Adam = other.Adam, Encoder = other.Encoder, Trainer = new TrainerOptions { Epochs = 1, BatchSize = 128, Negatives = 20, Seed = 6 } })
            .Run(data, MultiMarginLoss.Yelp2018);
        Assert.NotEqual(a.Encoder.Parameters[1].Values, b.Encoder.Parameters[1].Values);
    }

    [Theory]
    [InlineData("mml")]
    [InlineData("ccl")]
    public void Run_GeneratedData_BeatsMostPopularClearly(string lossName)
    {
        Dataset data = SmallData();
        IRowLoss loss = lossName == "mml" ? MultiMarginLoss.Yelp2018 : new CosineContrastiveLoss();
        var o = Options(2, 15, exclude: true);
        var options = new SessionOptions { Adam = o.Adam, Encoder = o.Encoder, Trainer = new TrainerOptions { Epochs = 15, BatchSize = 64, Negatives = 100, Seed = 5, EvaluateEvery = 15, ExcludePositives = true } };
        TrainingResult result = new TrainingSession(options).Run(data, loss);
        double model = result.Last.Record.Test!.At(20).Recall;
        var evaluator = new Evaluator(new EvaluatorOptions(), new ParallelRunner(2));
        double popular = evaluator.Evaluate(FactorModel.MostPopular(data.Train), data.Train, data.Test!).At(20).Recall;
        Assert.True(model > 1.5 * popular, $"{lossName}: Recall@20 {model:F4} vs most-popular {popular:F4}");
        Assert.True(result.Epochs[^1].Loss < result.Epochs[0].Loss, "the loss should fall");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SparseAdam_ItemNormsKeptBetweenSteps_SameBitsAsRecomputedEveryStep(bool hard)
    {
        // Sparse Adam leaves idle rows alone, so the trainer keeps item norms and renews only the stepped rows'; a
        // stale norm (a stepped row not renewed) changes the scores and so the embeddings.
        Dataset data = SmallData();
        SessionOptions Sparse(bool recompute) => new()
        {
            Adam = new AdamOptions { LearningRate = 1e-2 },
            Optimizer = OptimizerKind.SparseAdam,
            Sampler = hard ? new() { Mixture = [new(SamplerKind.Hard, 0.5), new(SamplerKind.Uniform, 0.5)] } : new(),
            Trainer = new TrainerOptions { Epochs = 2, BatchSize = 128, Negatives = 20, Threads = 2, Seed = 5, EvaluateEvery = 2, RecomputeItemNormsEveryStep = recompute },
            Encoder = new() { Dim = 32 },
        };
        TrainingResult kept = new TrainingSession(Sparse(false)).Run(data, MultiMarginLoss.Yelp2018);
        TrainingResult recomputed = new TrainingSession(Sparse(true)).Run(data, MultiMarginLoss.Yelp2018);
        Assert.Equal(recomputed.Encoder.Parameters[1].Values, kept.Encoder.Parameters[1].Values);
        Assert.Equal(recomputed.Encoder.Parameters[0].Values, kept.Encoder.Parameters[0].Values);
    }

    [Fact]
    public void Run_WithValidation_ReportsBestValidationAndLabelsTestSelection()
    {
        Dataset data = Splitter.CarveValidation(SmallData(), 0.1, 3);
        var o = Options(2, 3);
        var options = new SessionOptions { Adam = o.Adam, Encoder = o.Encoder, Trainer = new TrainerOptions { Epochs = 3, BatchSize = 128, Negatives = 20, Seed = 5 } };
        TrainingResult result = new TrainingSession(options).Run(data, MultiMarginLoss.Yelp2018);
        Assert.NotNull(result.BestValidation);
        Assert.All(result.Epochs, e => Assert.NotNull(e.Validation));
        Assert.Contains("test-selected", result.BestTest!.Selection);
        double best = result.Epochs.Max(e => e.Validation!.At(20).Recall);
        Assert.Equal(best, result.BestValidation!.Record.Validation!.At(20).Recall);
    }
}

public class AllocationTests
{
    [Theory]
    [InlineData("uniform")]
    [InlineData("hard:0.5,in-batch:0.5")]
    [InlineData("popularity-per-epoch")]
    public void RunEpoch_AfterWarmUp_AllocatesNothing(string sampler)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 20, Seed = 2 });
        SamplerOptions samplerOptions = sampler switch
        {
            "uniform" => new(),
            "popularity-per-epoch" => new() { Kind = SamplerKind.Popularity, Timing = NegativeDrawTiming.PerEpoch },
            _ => new() { Mixture = [new(SamplerKind.Hard, 0.5), new(SamplerKind.InBatch, 0.5)] },
        };
        var options = new SessionOptions { Trainer = new TrainerOptions { Epochs = 2, BatchSize = 64, Negatives = 30, Threads = 1 }, Sampler = samplerOptions };
        TrainingSession.Parts parts = TrainingSession.Build(data, MultiMarginLoss.Yelp2018, options);
        parts.Trainer.RunEpoch(1, null, CancellationToken.None);
        long before = GC.GetAllocatedBytesForCurrentThread();
        parts.Trainer.RunEpoch(2, null, CancellationToken.None);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"an epoch of {parts.Trainer.BatchesPerEpoch} steps allocated {allocated} bytes");
    }
}

/// <summary>The whole MF trainer with the deferred replay against the plain dense Adam loop, as training runs them.</summary>
public class ReplayTrainerTests
{
    private static TrainingResult Train(bool oracle, double clip, int threads) =>
        new TrainingSession(new SessionOptions
        {
            Adam = new AdamOptions { LearningRate = 1e-3, L2 = 1e-4, ClipNorm = clip },
            Trainer = new TrainerOptions { Epochs = 2, BatchSize = 64, Negatives = 10, Threads = threads, Seed = 13, EvaluateEvery = 2 },
            Encoder = new() { Dim = 64 },
            DenseLoopOracle = oracle,
        }).Run(SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 250, MeanInteractions = 15, Seed = 4 }), MultiMarginLoss.Yelp2018);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void DefaultClipping_ReplayEqualsTheDenseLoopBitForBit(int threads)
    {
        // Clipping at norm 10 is on, as by default; it never binds here, so the factor is exactly 1 both ways.
        TrainingResult replay = Train(false, 10, threads), dense = Train(true, 10, threads);
        Assert.Equal(dense.Encoder.Parameters[0].Values, replay.Encoder.Parameters[0].Values);
        Assert.Equal(dense.Encoder.Parameters[1].Values, replay.Encoder.Parameters[1].Values);
    }

    [Fact]
    public void BindingClipping_ReplayAgreesWithTheDenseLoopWithinTheStatedTolerance()
    {
        // Clip 1e-3 binds at every step. The replay takes the idle rows' share of the global norm from their state at
        // the last catch-up, so the clip factors differ slightly: parameters agree to 1e-4 of the largest weight.
        TrainingResult replay = Train(false, 1e-3, 2), dense = Train(true, 1e-3, 2);
        for (int p = 0; p < 2; p++)
        {
            FloatBuffer a = dense.Encoder.Parameters[p].Values, b = replay.Encoder.Parameters[p].Values;
            double scale = a.ToArray().Max(Math.Abs);
            for (int k = 0; k < a.Length; k++)
            {
                Assert.True(Math.Abs(a[k] - b[k]) <= 1e-4 * scale, $"block {p} element {k}: dense {a[k]} replay {b[k]}");
            }
        }
    }
}
