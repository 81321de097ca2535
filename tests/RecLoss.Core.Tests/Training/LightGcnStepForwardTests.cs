using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

/// <summary>LightGCN's step forward propagates only what the step reads; training must not see the difference.</summary>
public class LightGcnStepForwardTests
{
    // Dense: a batch's neighbours cover most of the graph, so the lower layers run whole. Sparse: they do not, so every
    // layer is a flagged product (and dim 64 takes the four-register kernel).
    private static readonly Dataset s_dense = SyntheticData.Generate(new SyntheticDataOptions { Users = 240, Items = 160, MeanInteractions = 10, Seed = 3 });
    private static readonly Dataset s_sparse = SyntheticData.Generate(new SyntheticDataOptions { Users = 1500, Items = 1200, MeanInteractions = 3, Seed = 4 });

    public static TheoryData<string, bool> Frames => new()
    {
        { "uniform-sl-dropout", false }, { "in-batch-all-bsl-layer-l2", false }, { "hard-bsl", false }, { "in-batch-bpr-batch-l2", false },
        { "uniform-sl-dropout", true }, { "in-batch-all-bsl-layer-l2", true }, { "hard-bsl", true },
    };

    // Each frame reads its items differently: slots, the batch's positives (dense), scored candidates, other rows'
    // positives. Trained with the whole propagation at every step and with the step's rows only: the same bits.
    [Theory]
    [MemberData(nameof(Frames))]
    public void Training_WithTheStepForward_EqualsTheWholePropagation_BitForBit(string frame, bool sparse)
    {
        float[] whole = Train(frame, sparse, fullForward: true);
        float[] step = Train(frame, sparse, fullForward: false);
        Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), step.Select(BitConverter.SingleToInt32Bits));
    }

    private static float[] Train(string frame, bool sparse, bool fullForward)
    {
        Dataset data = sparse ? s_sparse : s_dense;
        bool layerL2 = frame == "in-batch-all-bsl-layer-l2";
        var encoder = new LightGcn(data.Train, new LightGcnOptions { Dim = sparse ? 64 : 16, Layers = 3, Score = ScoreKind.Cosine, LayerL2 = layerL2 }, 5)
        {
            FullForward = fullForward,
        };
        var options = new TrainerOptions { Epochs = 2, BatchSize = sparse ? 64 : 32, Negatives = frame == "in-batch-all-bsl-layer-l2" ? (sparse ? 63 : 31) : 6, Seed = 7, Threads = 2,
            Dropout = frame == "uniform-sl-dropout" ? 0.1 : 0 };
        SamplerOptions sampler = frame switch
        {
            "in-batch-all-bsl-layer-l2" => new SamplerOptions { Kind = SamplerKind.InBatchAll },
            "hard-bsl" => new SamplerOptions { Kind = SamplerKind.Hard, HardCandidates = 12 },
            "in-batch-bpr-batch-l2" => new SamplerOptions { Kind = SamplerKind.InBatch },
            _ => new SamplerOptions(),
        };
        NegativeSampling sampling = sampler.Create(data.Train, false, options.Negatives);
        var adam = new AdamOptions { LearningRate = 1e-2, L2 = 1e-3, ClipNorm = 0 };
        var runner = new ParallelRunner(2);
        L2Placement l2 = layerL2 ? L2Placement.BatchLayers : frame == "in-batch-bpr-batch-l2" ? L2Placement.Batch : L2Placement.Tables;
        IEpochRunner trainer = frame switch
        {
            "uniform-sl-dropout" => new EncoderTrainer<SoftmaxLoss>(new SoftmaxLoss(0.2), options, encoder, adam, l2, sampling, data.Train, runner),
            "in-batch-bpr-batch-l2" => new EncoderTrainer<BprLoss>(new BprLoss(), options, encoder, adam, l2, sampling, data.Train, runner),
            _ => new EncoderTrainer<BilateralSoftmaxLoss>(new BilateralSoftmaxLoss(0.15, 1.12), options, encoder, adam, l2, sampling, data.Train, runner),
        };
        trainer.RunEpoch(1, null, CancellationToken.None);
        if (!sparse)
        {
            trainer.RunEpoch(2, null, CancellationToken.None);
        }
        return encoder.Parameters[0].Values.ToArray();
    }
}
