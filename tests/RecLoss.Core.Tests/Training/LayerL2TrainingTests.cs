using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Training;

/// <summary>The BSL code's LightGCN frame in the generic trainer: L2 on every layer, in-batch-all negatives.</summary>
public class LayerL2TrainingTests
{
    private static readonly Dataset s_data = SyntheticData.Generate(new SyntheticDataOptions { Users = 200, Items = 150, MeanInteractions = 12, Seed = 8 });
    private static readonly TrainerOptions s_trainer = Trainer(2);
    private static readonly BilateralSoftmaxLoss s_loss = new(0.15, 1.12);
    private static readonly AdamOptions s_adam = new() { LearningRate = 1e-2, L2 = 1e-2, ClipNorm = 0 };

    private static TrainerOptions Trainer(int threads) => new() { Epochs = 2, BatchSize = 64, Negatives = 63, Seed = 4, Threads = threads };

    private static LightGcn Encoder(bool layerL2 = true) =>
        new(s_data.Train, new LightGcnOptions { Dim = 8, Layers = 2, Score = ScoreKind.Cosine, Init = InitKind.XavierUniform, LayerL2 = layerL2 }, 4);

    [Theory]
    [InlineData(SamplerKind.InBatchAll, true)]
    [InlineData(SamplerKind.InBatch, true)]
    [InlineData(SamplerKind.Uniform, false)]
    public void TheTrainerHandsOverUsersAndPositives_AndNegativesOnlyWhenTheyAreNotTheBatchsPositives(SamplerKind kind, bool positivesOnly)
    {
        var encoder = new RecordingEncoder(Encoder());
        NegativeSampling sampling = new SamplerOptions { Kind = kind }.Create(s_data.Train, false, s_trainer.Negatives);
        var trainer = new EncoderTrainer<BilateralSoftmaxLoss>(s_loss, s_trainer, encoder, s_adam, L2Placement.BatchLayers, sampling,
            s_data.Train, new ParallelRunner(2));
        trainer.RunEpoch(1, null, CancellationToken.None);
        Assert.Equal(trainer.BatchesPerEpoch, encoder.Calls.Count);
        foreach ((int[] users, int[] items, float coefficient) in encoder.Calls)
        {
            Assert.Equal(users.Length * (positivesOnly ? 1 : 1 + s_trainer.Negatives), items.Length);
            Assert.Equal(1e-2f / users.Length, coefficient);
        }
        Assert.Equal(s_data.Train.Count, encoder.Calls.Sum(c => c.Users.Length));
    }

    [Fact]
    public void OneSeed_GivesTheSameParameters_OnOneOrTwoThreads()
    {
        float[] Train(int threads)
        {
            LightGcn encoder = Encoder();
            NegativeSampling sampling = new SamplerOptions { Kind = SamplerKind.InBatchAll }.Create(s_data.Train, false, s_trainer.Negatives);
            var trainer = new EncoderTrainer<BilateralSoftmaxLoss>(s_loss, Trainer(threads), encoder, s_adam,
                L2Placement.BatchLayers, sampling, s_data.Train, new ParallelRunner(threads));
            trainer.RunEpoch(1, null, CancellationToken.None);
            trainer.RunEpoch(2, null, CancellationToken.None);
            return encoder.Parameters[0].Values.ToArray();
        }
        float[] one = Train(1);
        Assert.Equal(one, Train(2));
        Assert.NotEqual(Encoder().Parameters[0].Values.ToArray(), one);
    }

    [Fact]
    public void LayerL2_IsRefusedForEncodersWithoutLayers()
    {
        var mf = new MatrixFactorization(s_data.UserCount, s_data.ItemCount, new MatrixFactorizationOptions { Dim = 8 }, 1);
        NegativeSampling sampling = new SamplerOptions().Create(s_data.Train, false, 5);
        Assert.Throws<ArgumentException>(() => new EncoderTrainer<BilateralSoftmaxLoss>(s_loss, s_trainer, mf, s_adam,
            L2Placement.BatchLayers, sampling, s_data.Train, new ParallelRunner(1)));
        var e = Assert.Throws<ArgumentException>(() => new TrainingSession(new SessionOptions { L2Placement = L2Placement.BatchLayers }));
        Assert.Contains("LightGCN", e.Message);
    }

    /// <summary>LightGCN with every call of <see cref="ILayerL2Encoder.SetLayerL2"/> recorded.</summary>
    private sealed class RecordingEncoder(LightGcn inner) : IEncoder, ILayerL2Encoder
    {
        public List<(int[] Users, int[] Items, float Coefficient)> Calls { get; } = [];

        public void SetLayerL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient)
        {
            Calls.Add((users.ToArray(), items.ToArray(), coefficient));
            inner.SetLayerL2(users, items, coefficient);
        }

        public string Name => inner.Name;
        public int Dim => inner.Dim;
        public int UserCount => inner.UserCount;
        public int ItemCount => inner.ItemCount;
        public ScoreKind Score => inner.Score;
        public IReadOnlyList<ParameterBlock> Parameters => inner.Parameters;
        public ReadOnlySpan<float> ItemVectors => inner.ItemVectors;
        public bool ReadsFewRows => inner.ReadsFewRows;
        public void BeginStep(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<int> candidates, ParallelRunner runner) =>
            inner.BeginStep(users, items, candidates, runner);
        public void UserVectors(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, Span<float> output, ParallelRunner runner) => inner.UserVectors(users, targets, output, runner);
        public void Backward(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, ReadOnlySpan<float> userGradients, float[] itemGradients, ReadOnlySpan<int> itemRows,
            ParallelRunner runner) => inner.Backward(users, targets, userGradients, itemGradients, itemRows, runner);
        public void CollectRows(ReadOnlySpan<int> users, ReadOnlySpan<int> items, RowSet[] rows) => inner.CollectRows(users, items, rows);
        public void AddRowL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient) => inner.AddRowL2(users, items, coefficient);
        public FactorModel Export(ParallelRunner runner) => inner.Export(runner);
    }
}
