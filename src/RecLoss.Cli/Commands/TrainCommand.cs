using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Commands;

/// <summary>recloss train: trains MF with a loss, evaluates, and writes run.json.</summary>
internal static class TrainCommand
{
    public static Verb Verb => new("train", "recloss train [--data PATH] [options]", "train matrix factorization and evaluate it by full ranking",
        "Without --data it trains on the generated demo data. Defaults are the MML paper's MF settings on Yelp2018. Every option is checked before the data is loaded, and --out before training starts.",
        [.. OptionCatalog.Data, .. OptionCatalog.Model, .. OptionCatalog.Loss, .. OptionCatalog.Sampling, .. OptionCatalog.Training,
         .. OptionCatalog.Evaluation, .. OptionCatalog.Output], (args, context) => Run(args, context, "train", null));

    /// <summary>Reads and checks every option, then loads the data, trains and reports; <paramref name="defaults"/> are the verb's own.</summary>
    public static int Run(ArgumentReader args, VerbContext context, string verb, SessionOptions? defaults) => Prepare(args, verb, defaults)(context);

    /// <summary>Reads and checks every option without loading anything; the function returned loads, trains and reports.</summary>
    public static Func<VerbContext, int> Prepare(ArgumentReader args, string verb, SessionOptions? defaults)
    {
        IRowLoss loss = LossArguments.Read(args);
        CheckpointArguments? checkpoint = CheckpointArguments.Read(args);
        InitialModel? init = InitialModel.Read(args);
        SessionOptions options = SessionArguments.Read(args, loss, defaults);
        if (init is not null)
        {
            options = init.Model.Header.Encoder.ApplyTo(options);
            if (loss.RequiredScore is { } required && required != options.Encoder.Score)
            {
                throw new UsageException($"--init: the model scores with {options.Encoder.Score.ToString().ToLowerInvariant()}, but the {loss.Name} loss is defined on {required.ToString().ToLowerInvariant()} scores only");
            }
        }
        DataSource source = DataArguments.Read(args);
        if ((options.Patience > 0 || options.Plateau is not null) && options.SelectOn == SelectionSplit.Validation && !source.HasValidation)
        {
            throw new UsageException($"{Watcher(options)} watches the validation split, but there is none: add --validation-ratio R or use --select-on test (the reference's optimistic protocol)");
        }
        double? noiseRatio = args.Has("noisy-positive-ratio") ? args.Double("noisy-positive-ratio", 0, 0, 10) : null;
        RunOutput? output = RunOutput.Prepare(args);
        ModelOutput? model = ModelOutput.Prepare(args, output);
        args.EnsureAllUsed(verb);
        return context => LoadAndExecute(context, loss, checkpoint, init, options, source, noiseRatio, output, model);
    }

    private static int LoadAndExecute(VerbContext context, IRowLoss loss, CheckpointArguments? checkpoint, InitialModel? init, SessionOptions options,
        DataSource source, double? noiseRatio, RunOutput? output, ModelOutput? model)
    {
        Dataset data = source.Load();
        InjectedPositives? noise = null;
        if (noiseRatio is { } ratio)
        {
            try
            {
                noise = NoisyPositives.Inject(data, ratio, options.Trainer.Seed);
            }
            catch (ArgumentException e)
            {
                // The data cannot take this much noise: a data error naming the user, as for a user with every item.
                throw new DataFormatException(source.Path, 0, $"--noisy-positive-ratio {ratio}: {Messages.Of(e)}");
            }
            data = noise.Data;
        }
        TrainingStart? start = init?.Start(data, source.Path, loss, options, context.Error);
        CheckpointFolder? checkpoints = null;
        if (checkpoint is not null)
        {
            (checkpoints, start) = checkpoint.Open(data, loss, options, context.Error);
        }
        return Execute(data, source.Path, loss, options, output, context, noise, model, start, checkpoints);
    }

    /// <summary>Trains, prints the results beside most-popular, and writes the run record when asked.</summary>
    public static int Execute(Dataset data, string dataPath, IRowLoss loss, SessionOptions options, RunOutput? runOutput, VerbContext context,
        InjectedPositives? noise = null, ModelOutput? modelOutput = null, TrainingStart? start = null, ICheckpointSink? checkpoints = null)
    {
        TextWriter output = context.Output;
        CheckTrainable(data, options);
        var stats = DatasetStatistics.Of(data);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data {data.Name}: {stats.Users:N0} users, {stats.Items:N0} items, train {data.Train.Count:N0}, validation {data.Validation?.Count ?? 0:N0}, test {data.Test?.Count ?? 0:N0}"));
        Render.Notes(output, data.Report);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model {EncoderText(options)} dim {options.Encoder.Dim} {options.Encoder.Score.ToString().ToLowerInvariant()}{(options.Encoder.EvaluationScore is { } e ? $" (evaluated {e.ToString().ToLowerInvariant()})" : "")}{(options.Encoder.Init == InitKind.XavierUniform ? ", Xavier-uniform init" : "")} | loss {LossArguments.Describe(loss)} | {options.Trainer.Negatives} negatives ({SessionArguments.SamplerText(options)}) | batch {options.Trainer.BatchSize} | {(options.Optimizer == OptimizerKind.SparseAdam ? "sparse Adam" : "Adam")} lr {options.Adam.LearningRate:G3}{(options.Plateau is { } plateau ? $" (x{plateau.Factor:G3} on a {options.SelectOn.ToString().ToLowerInvariant()} plateau, floor {plateau.MinLearningRate:G3})" : "")} l2 {options.Adam.L2:G3} clip {options.Adam.ClipNorm:G3} | dropout {options.Trainer.Dropout:G3}{(options.Trainer.DropoutBeforeNormalisation ? " before normalising" : "")} | seed {options.Trainer.Seed} | threads {ParallelRunner.ThreadsFor(options.Trainer.Threads)}"));

        var observer = new ConsoleTrainingObserver(context.Error, output, context.Live, options.Trainer.Epochs, options.SelectionK);
        TrainingResult result = DataArguments.NamingUsers(data, dataPath, () => new TrainingSession(options).Run(data, loss, observer, context.Cancellation, start, checkpoints));

        var baselines = new List<(string, EvaluationResult)>();
        if (data.Test is not null)
        {
            var evaluator = new Evaluator(options.Evaluation, new ParallelRunner(options.Trainer.Threads));
            InteractionMatrix testMask = data.Validation is null ? data.Train : data.Train.Union(data.Validation);
            baselines.Add(("most-popular", evaluator.Evaluate(FactorModel.MostPopular(data.Train), testMask, data.Test)));
        }
        WriteResults(output, result, options, baselines);
        if (runOutput is not null)
        {
            foreach (string note in runOutput.Write(data, dataPath, loss, SessionArguments.ConfigOf(loss, options), result, baselines, noise, context.Args,
                (checkpoints as CheckpointFolder)?.Segments))
            {
                context.Error.WriteLine($"note: {note}");
            }
            output.WriteLine($"run record: {runOutput.RecordPath}");
            modelOutput?.NameAfter(runOutput.RecordPath);
        }
        if (modelOutput is not null)
        {
            SelectedEpoch held = result.Restored ?? result.Last;
            ModelHeader header = ModelHeader.For(data, loss, options, result, SessionArguments.ConfigJson(loss, options));
            if (modelOutput.WithOptimizer && result.OptimizerState is null)
            {
                context.Error.WriteLine("note: --save-optimizer: the model holds the restored best epoch, and the optimizer's state belongs to the last one, so none is saved (train --init from it starts with fresh moments)");
            }
            modelOutput.Write(TrainedModel.FromRun(data, header, result.Encoder), result.OptimizerState);
            output.WriteLine($"model: {modelOutput.Path} (epoch {held.Record.Epoch}, {held.Selection})");
        }
        return ExitCodes.Success;
    }

    private static string EncoderText(SessionOptions o) => o.Kind switch
    {
        EncoderKind.SimpleX => string.Create(CultureInfo.InvariantCulture,
            $"SimpleX ({AggregatorText(o.SimpleX)}, g {o.SimpleX.Gamma}, history {(o.SimpleX.HistoryLength == 0 ? "all" : o.SimpleX.HistoryLength.ToString(CultureInfo.InvariantCulture))}, {(o.SimpleX.SharedHistoryTable ? "item table" : "own table")})"),
        EncoderKind.LightGcn => $"LightGCN ({o.LightGcn.Layers} layers)",
        _ => "MF",
    } + (o.L2Placement switch { L2Placement.Batch => ", L2 on the batch's rows", L2Placement.BatchLayers => ", L2 on every layer of the batch's rows", _ => "" }) + (o.EpochRows == EpochRows.UserUniform ? ", user-uniform epochs" : "");

    private static string AggregatorText(SimpleXOptions s) => s.Aggregator switch
    {
        SimpleXAggregator.SelfAttention => "self attention",
        SimpleXAggregator.UserAttention => "user attention",
        _ => "mean",
    } + (s.Aggregator != SimpleXAggregator.Mean && s.Padding == AttentionPadding.Reference ? " with the reference's padding" : "");

    /// <summary>Refuses data that cannot be trained on before any work starts.</summary>
    private static void CheckTrainable(Dataset data, SessionOptions options)
    {
        if (data.Train.Count == 0)
        {
            throw new DataFormatException(data.Name, 0, "the train split has no interactions (expected at least one user with an item)");
        }
        SessionArguments.CheckEpochDraw(options, data.Train.Count);
        SessionArguments.CheckLastBatch(options, data.Train.Count);
        if (options.Patience > 0 || options.Plateau is not null)
        {
            InteractionMatrix? watched = options.SelectOn == SelectionSplit.Test ? data.Test : data.Validation;
            if (watched is null || watched.Count == 0)
            {
                throw new UsageException($"{Watcher(options)} watches the {options.SelectOn.ToString().ToLowerInvariant()} split, but it has no users to evaluate");
            }
        }
    }

    private static string Watcher(SessionOptions options) => options.Patience > 0 ? "--patience" : "--plateau-factor";

    private static void WriteResults(TextWriter output, TrainingResult result, SessionOptions options, List<(string, EvaluationResult)> baselines)
    {
        output.WriteLine();
        output.WriteLine("results on test (the epoch is chosen as labelled):");
        var rows = new List<(string, EvaluationResult)>();
        foreach (SelectedEpoch selected in result.Selections())
        {
            if (selected.Record.Test is { } test)
            {
                rows.Add(($"{selected.Selection} (epoch {selected.Record.Epoch})", test));
            }
        }
        rows.AddRange(baselines);
        Render.MetricsTable(output, rows);
        if (result.BestValidation?.Record.Validation is { } bestValid)
        {
            output.WriteLine();
            output.WriteLine($"validation at the best-validation epoch {result.BestValidation.Record.Epoch}:");
            Render.MetricsTable(output, [("validation", bestValid)]);
        }
        if (result.Restored is { } restored)
        {
            output.WriteLine();
            output.WriteLine((result.StoppedEarly
                ? $"stopped early after epoch {result.Epochs[^1].Epoch}: no better {options.SelectOn.ToString().ToLowerInvariant()} {(options.SelectionMetric == SelectionMetric.Ndcg ? "NDCG" : "Recall")}@{options.SelectionK} for {options.Patience} evaluations. "
                : "")
                + $"The model now holds epoch {restored.Record.Epoch}, the {restored.Selection} epoch.");
        }
        double meanSeconds = result.Epochs.Average(e => e.TrainSeconds);
        double epochs = result.Epochs.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\ntraining: {meanSeconds:F2} s per epoch on average"));
        output.WriteLine("  per epoch by phase: " + string.Join(", ", result.PhaseSeconds.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Seconds / epochs:F2}s"))));
    }
}
