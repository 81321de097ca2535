using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests.Models;

public sealed class ContinueTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-continue-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(EncoderKind.MatrixFactorization, L2Placement.Tables, EpochRows.Interactions)]   // MF's own trainer, deferred replay
    [InlineData(EncoderKind.MatrixFactorization, L2Placement.Batch, EpochRows.Interactions)]    // MF's own trainer, L2 on the batch's rows
    [InlineData(EncoderKind.MatrixFactorization, L2Placement.Batch, EpochRows.UserUniform)]     // the generic trainer, dense Adam's replay
    [InlineData(EncoderKind.SimpleX, L2Placement.Tables, EpochRows.Interactions)]
    [InlineData(EncoderKind.LightGcn, L2Placement.Tables, EpochRows.Interactions)]
    public void Two_plus_two_epochs_through_a_saved_file_equal_four_epochs_bit_for_bit(EncoderKind kind, L2Placement l2, EpochRows rows)
    {
        Dataset data = TrainedModels.Data();
        IRowLoss loss = TrainedModels.Loss(kind);
        SessionOptions Options(int epochs) => TrainedModels.Options(kind, epochs) with { L2Placement = l2, EpochRows = rows };

        TrainingResult straight = new TrainingSession(Options(4)).Run(data, loss);

        TrainingResult first = new TrainingSession(Options(2)).Run(data, loss);
        var header = new ModelHeader { Encoder = EncoderSpec.Of(Options(2)), Loss = LossParameters.Of(loss), Epoch = 2 };
        string path = Path.Combine(_folder, "half.rlm");
        ModelFile.Save(TrainedModel.FromRun(data, header, first.Encoder), path, first.OptimizerState);
        (TrainedModel saved, OptimizerState? state) = ModelFile.LoadWithOptimizer(path);
        Assert.NotNull(state);
        Assert.Equal(2, state.Epochs);

        TrainingResult second = new TrainingSession(Options(2)).Run(data, loss, start: new TrainingStart(saved.Blocks, state, state.Epochs));
        Assert.Equal([3, 4], second.Epochs.Select(e => e.Epoch));
        for (int b = 0; b < straight.Encoder.Parameters.Count; b++)
        {
            Assert.Equal(straight.Encoder.Parameters[b].Values, second.Encoder.Parameters[b].Values);
        }
        Assert.Equal(straight.Last.Record.Test!.Metrics, second.Last.Record.Test!.Metrics);
        Assert.Equal(straight.Epochs[3].Loss, second.Epochs[1].Loss);
    }

    [Fact]
    public void Without_the_optimizer_state_training_starts_from_the_parameters_only()
    {
        Dataset data = TrainedModels.Data();
        IRowLoss loss = TrainedModels.Loss(EncoderKind.MatrixFactorization);
        TrainingResult first = new TrainingSession(TrainedModels.Options(EncoderKind.MatrixFactorization, 2)).Run(data, loss);
        var blocks = first.Encoder.Parameters.Select(p => new SavedBlock(p.Name, p.Rows, p.Cols, p.Values.ToArray())).ToArray();
        TrainingResult warm = new TrainingSession(TrainedModels.Options(EncoderKind.MatrixFactorization, 1)).Run(data, loss, start: new TrainingStart(blocks, null, 2));
        TrainingResult straight = new TrainingSession(TrainedModels.Options(EncoderKind.MatrixFactorization, 3)).Run(data, loss);
        Assert.Equal(3, warm.Last.Record.Epoch);
        Assert.NotEqual(straight.Encoder.Parameters[0].Values, warm.Encoder.Parameters[0].Values);   // fresh Adam moments: not the same run

        var wrong = new[] { new SavedBlock("users", 3, 16, new float[48]) };
        Assert.Contains("do not fit this run", Assert.Throws<InvalidDataException>(() => new TrainingSession(TrainedModels.Options(EncoderKind.MatrixFactorization, 1)).Run(data, loss, start: new TrainingStart(wrong, null, 0))).Message);
    }
}
