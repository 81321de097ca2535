using System.Text.Json.Nodes;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Training;

namespace RecLoss.Core.Models;

/// <summary>How to rebuild the encoder of a saved model: its kind and every setting its forward pass depends on.</summary>
public sealed record EncoderSpec
{
    public EncoderKind Kind { get; init; } = EncoderKind.MatrixFactorization;

    public int Dim { get; init; } = 64;

    public ScoreKind Score { get; init; } = ScoreKind.Cosine;

    public double InitStd { get; init; } = 1e-4;

    /// <summary>The score the saved vectors are ranked by when it is not <see cref="Score"/> (absent otherwise).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ScoreKind? EvaluationScore { get; init; }

    /// <summary>SimpleX's settings (null for the other encoders).</summary>
    public SimpleXOptions? SimpleX { get; init; }

    /// <summary>LightGCN's layers (0 for the other encoders).</summary>
    public int Layers { get; init; }

    public static EncoderSpec Of(SessionOptions options) => new()
    {
        Kind = options.Kind,
        Dim = options.Encoder.Dim,
        Score = options.Encoder.Score,
        InitStd = options.Encoder.InitStd,
        EvaluationScore = options.Encoder.EvaluationScore,
        SimpleX = options.Kind == EncoderKind.SimpleX ? options.SimpleX : null,
        Layers = options.Kind == EncoderKind.LightGcn ? options.LightGcn.Layers : 0,
    };

    /// <summary>Session options that build this encoder again (for training on from a saved model).</summary>
    public SessionOptions ApplyTo(SessionOptions options) => new()
    {
        Kind = Kind,
        Encoder = new MatrixFactorizationOptions { Dim = Dim, Score = Score, InitStd = InitStd, EvaluationScore = EvaluationScore },
        SimpleX = SimpleX ?? options.SimpleX,
        LightGcn = new LightGcnOptions { Layers = Layers > 0 ? Layers : options.LightGcn.Layers },
        L2Placement = options.L2Placement,
        EpochRows = options.EpochRows,
        Adam = options.Adam,
        Trainer = options.Trainer,
        Evaluation = options.Evaluation,
        Optimizer = options.Optimizer,
        SelectionK = options.SelectionK,
        SelectionMetric = options.SelectionMetric,
        Sampler = options.Sampler,
        Patience = options.Patience,
        SelectOn = options.SelectOn,
        Plateau = options.Plateau,
        DenseLoopOracle = options.DenseLoopOracle,
    };

    /// <summary>"mf", "simplex" or "lightgcn".</summary>
    public string Name => Kind switch
    {
        EncoderKind.SimpleX => "simplex",
        EncoderKind.LightGcn => "lightgcn",
        _ => "mf",
    };
}

/// <summary>What a model file says about itself: the encoder, the loss, the data it was trained on and by which build.</summary>
public sealed record ModelHeader
{
    public required EncoderSpec Encoder { get; init; }

    /// <summary>The loss's name and hyper-parameters (<see cref="LossParameters.Of"/>).</summary>
    public required JsonObject Loss { get; init; }

    /// <summary>Negatives per training row (fold-in draws as many).</summary>
    public int Negatives { get; init; } = 100;

    /// <summary>The data set's name and the fingerprint of its splits (<see cref="Data.Dataset.Fingerprint"/>).</summary>
    public string DataName { get; init; } = "";

    public string DataFingerprint { get; init; } = "";

    /// <summary>The epoch whose parameters the file holds, and how it was chosen ("last", "best-validation", ...).</summary>
    public int Epoch { get; init; }

    public string Selection { get; init; } = "last";

    public string? Commit { get; init; } = BuildInfo.Commit;

    public bool Dirty { get; init; } = BuildInfo.Dirty;

    public string RecLossVersion { get; init; } = BuildInfo.Version;

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The run's whole configuration as run.json records it (compared, not applied, by --init and checkpoints).</summary>
    public JsonObject Config { get; init; } = [];

    /// <summary>A checkpoint's run state (epoch, evaluation history, early-stopping counters); null in a plain model file.</summary>
    public JsonObject? RunState { get; init; }

    /// <summary>The keys whose values differ between a run's configuration and a saved one (compared as JSON; a key one
    /// lacks is null there): the run's keys in order, then the saved one's others.</summary>
    public static IEnumerable<string> ConfigDifferences(JsonObject run, JsonObject saved) =>
        run.Select(p => p.Key).Union(saved.Select(p => p.Key)).Where(key => run[key]?.ToJsonString() != saved[key]?.ToJsonString());

    /// <summary>The header of a finished run's model: the epoch the encoder now holds (the restored best, or the last).</summary>
    public static ModelHeader For(Dataset data, IRowLoss loss, SessionOptions options, TrainingResult result, JsonObject? config = null)
    {
        SelectedEpoch held = result.Restored ?? result.Last;
        return For(data, loss, options, held.Record.Epoch, held.Selection, config);
    }

    /// <summary>The header of a model of this run holding <paramref name="epoch"/>'s parameters, chosen as <paramref name="selection"/> says.</summary>
    public static ModelHeader For(Dataset data, IRowLoss loss, SessionOptions options, int epoch, string selection, JsonObject? config = null) => new()
    {
        Encoder = EncoderSpec.Of(options),
        Loss = LossParameters.Of(loss),
        Negatives = options.Trainer.Negatives,
        DataName = data.Name,
        DataFingerprint = data.Fingerprint(),
        Epoch = epoch,
        Selection = selection,
        Config = config ?? [],
    };
}
