using System.Text.Json.Nodes;
using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>
/// train --init PATH: a saved model to train on from. Its encoder settings hold (an encoder option given beside it
/// is refused); the data must be the data it was trained on; with the optimizer state saved (--save-optimizer) the
/// run continues exactly where the saved one stopped, epochs numbered on.
/// </summary>
internal sealed class InitialModel
{
    private InitialModel(string path, TrainedModel model, OptimizerState? optimizer)
    {
        Path = path;
        Model = model;
        Optimizer = optimizer;
    }

    public string Path { get; }

    public TrainedModel Model { get; }

    public OptimizerState? Optimizer { get; }

    public static InitialModel? Read(ArgumentReader args)
    {
        string? path = args.String("init");
        if (path is null)
        {
            return null;
        }
        string? encoderOption = OptionCatalog.Model.Select(o => o.Name).FirstOrDefault(args.Has);
        if (encoderOption is not null)
        {
            throw new UsageException($"--{encoderOption}: the model given by --init fixes the encoder and its settings; drop --{encoderOption}");
        }
        try
        {
            (TrainedModel model, OptimizerState? optimizer) = ModelFile.LoadWithOptimizer(path);
            return new InitialModel(path, model, optimizer);
        }
        catch (ModelFileException e)
        {
            throw ModelArguments.AsDataError(path, e);
        }
    }

    /// <summary>Checks the data against the model's and says what kind of start this is.</summary>
    public TrainingStart Start(Dataset data, string dataPath, IRowLoss loss, SessionOptions options, TextWriter notes)
    {
        string fingerprint = data.Fingerprint();
        if (fingerprint != Model.Header.DataFingerprint)
        {
            throw new DataFormatException(dataPath, 0,
                $"--init {Path} was trained on other data ({Model.Header.DataName}, fingerprint {Model.Header.DataFingerprint}; this data's is {fingerprint}); train on from it with the same data and split options");
        }
        if (LossParameters.Of(loss).ToJsonString() != Model.Header.Loss.ToJsonString())
        {
            notes.WriteLine($"note: the loss differs from the one {Path} was trained with ({Model.Header.Loss.ToJsonString()})");
        }
        var now = SessionArguments.ConfigJson(loss, options);
        JsonObject saved = Model.Header.Config;
        string[] differ = [.. ModelHeader.ConfigDifferences(now, saved).Where(key => key is not ("epochs" or "threadsAsked") && now.ContainsKey(key) && saved.ContainsKey(key))
            .Select(key => $"{key} {saved[key]?.ToJsonString()} -> {now[key]?.ToJsonString()}")];
        if (differ.Length > 0)
        {
            notes.WriteLine($"note: settings differ from {Path}'s run, so this is not the run it would have continued as: {string.Join("; ", differ)}");
        }
        notes.WriteLine(Optimizer is null
            ? $"note: {Path} holds no optimizer state (saved without --save-optimizer, or with the best epoch restored): training starts from its parameters with fresh Adam moments, not as an exact continuation"
            : $"note: continuing {Path} after epoch {Optimizer.Epochs} ({Optimizer.Steps:N0} steps) with its optimizer state");
        // A checkpoint of a run whose plateau schedule had cut the rate: go on at that rate, as its resume would.
        double? rate = Optimizer is not null && Model.Header.RunState?["learningRate"] is JsonValue v && v.TryGetValue(out double r) ? r : null;
        if (rate is { } cut && options.Plateau is not null && cut != options.Adam.LearningRate)
        {
            notes.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"note: {Path}'s plateau schedule had cut the learning rate to {cut:G3}: training goes on at that rate"));
        }
        return new TrainingStart(Model.Blocks, Optimizer, Optimizer?.Epochs ?? Model.Header.Epoch) { LearningRate = options.Plateau is null ? null : rate };
    }
}
