using RecLoss.Numerics;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

/// <summary>L2 on the batch's rows (the BSL and LightGCN references) in MF's own trainer, against the generic trainer.</summary>
public class BatchL2TrainingTests
{
    private static readonly Dataset s_data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 15, Seed = 5 });

    // lr and lambda large enough that two epochs move far from the start and the L2 term steers them (see the last test).
    private static SessionOptions Options(L2Placement l2, double lambda = 1e-2, double clip = 0) => new()
    {
        Adam = new AdamOptions { LearningRate = 1e-2, L2 = lambda, ClipNorm = clip },
        Trainer = new TrainerOptions { Epochs = 2, BatchSize = 64, Negatives = 10, Threads = 2, Seed = 3 },
        Encoder = new() { Dim = 16 },
        L2Placement = l2,
    };

    /// <summary>Two epochs of MF's own trainer (fused, deferred Adam) under <paramref name="options"/>.</summary>
    private static MatrixFactorization OwnTrainer(SessionOptions options)
    {
        TrainingSession.Parts parts = TrainingSession.Build(s_data, MultiMarginLoss.Yelp2018, options);
        Assert.IsType<MatrixFactorizationTrainer<MultiMarginLoss>>(parts.Trainer);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            parts.Trainer.RunEpoch(epoch, null, CancellationToken.None);
        }
        parts.Optimizer.CatchUpAll();
        return parts.Encoder;
    }

    /// <summary>The same two epochs on the generic trainer, which adds lambda/B times a row per occurrence.</summary>
    private static MatrixFactorization GenericTrainer(SessionOptions options)
    {
        var mf = new MatrixFactorization(s_data.UserCount, s_data.ItemCount, options.Encoder, options.Trainer.Seed);
        NegativeSampling sampling = new SamplerOptions().Create(s_data.Train, false, options.Trainer.Negatives);
        var trainer = new EncoderTrainer<MultiMarginLoss>(MultiMarginLoss.Yelp2018, options.Trainer, mf, options.Adam, options.L2Placement, sampling, s_data.Train,
            new ParallelRunner(2));
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            trainer.RunEpoch(epoch, null, CancellationToken.None);
        }
        trainer.Optimizer.CatchUpAll();
        return mf;
    }

    /// <summary>|a - b| / |b| over both tables.</summary>
    private static double RelativeDistance(MatrixFactorization a, MatrixFactorization b)
    {
        double difference = 0, norm = 0;
        foreach ((FloatBuffer x, FloatBuffer y) in new[] { (a.Users.Weights, b.Users.Weights), (a.Items.Weights, b.Items.Weights) })
        {
            for (int i = 0; i < x.Length; i++)
            {
                difference += (double)(x[i] - y[i]) * (x[i] - y[i]);
                norm += (double)y[i] * y[i];
            }
        }
        return Math.Sqrt(difference / norm);
    }

    [Theory]
    [InlineData(L2Placement.Tables, 0.0)]
    [InlineData(L2Placement.Batch, 0.0)]
    [InlineData(L2Placement.Batch, 0.05)]    // clipping binds: the global norm must hold the L2 term in both
    public void MatrixFactorizationTrainer_EqualsTheGenericTrainer_UpToRounding(L2Placement l2, double clip)
    {
        // The trainers sum in different orders (and the generic one adds a row's L2 once per occurrence, MF's trainer
        // count x lambda/B once): equal to float rounding, not bit for bit. Measured: 3e-7 (tables), 2e-6 (batch).
        MatrixFactorization own = OwnTrainer(Options(l2, clip: clip));
        double distance = RelativeDistance(own, GenericTrainer(Options(l2, clip: clip)));
        if (clip > 0)
        {
            double unclipped = RelativeDistance(own, OwnTrainer(Options(l2)));
            Assert.True(unclipped > 1e-2, $"clipping at {clip} should bind: {unclipped:E2} from the unclipped run");
        }
        Assert.True(distance < 1e-5, $"relative distance {distance:E2}");
    }

    [Fact]
    public void TheComparison_SeesTheL2Term()
    {
        // The comparison above would miss a wrong L2 term only if the term did not matter: it does, by far.
        MatrixFactorization batch = OwnTrainer(Options(L2Placement.Batch));
        double otherWeight = RelativeDistance(batch, GenericTrainer(Options(L2Placement.Batch, lambda: 1.5e-2)));
        double otherPlacement = RelativeDistance(batch, GenericTrainer(Options(L2Placement.Tables)));
        Assert.True(otherWeight > 0.1 && otherPlacement > 0.1, $"lambda x 1.5: {otherWeight:E2}, L2 on the tables: {otherPlacement:E2}");
    }
}
