using System.Diagnostics;
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
    public const string Help = "recloss train [--data PATH] [options]\n"
        + "  Trains matrix factorization and evaluates it by full ranking. Without --data it trains on the generated demo data.\n"
        + "  Defaults are the MML paper's MF settings on Yelp2018.\n\n"
        + DataArguments.Help + "\n" + LossArguments.Help + """

          --negatives N            negatives per training row (default 100)
          --exclude-positives      never draw a user's own train items as negatives (the reference does)
          --sampler SPEC           how negatives are drawn (default uniform, as the reference):
                                   uniform | popularity | in-batch (the batch's other positives, the user's own
                                   masked) | hard (top-scored of M uniform candidates outside the user's items),
                                   or a mixture NAME:SHARE,... with shares summing to 1, e.g. hard:0.5,uniform:0.5
          --popularity-alpha X     popularity sampler: probability proportional to train count^X, X in [0, 10] (default 1)
          --hard-candidates M      hard sampler: candidates scored per row (default 4 per hard negative)
          --draw-negatives per-batch|per-epoch  when rows draw their negatives (default per-batch); per-epoch draws
                                   the whole epoch first, as the reference's loader (same negatives: one stream per row)
          --noisy-positive-ratio R  noise: add round(R n_u) random items user u never interacted with to its train
                                   items (BSL's positive noise), listed in run.json; R in [0, 10]
          --patience N             early stopping: stop after N evaluations without a better Recall@K on the
                                   --select-on split and restore the best epoch (default 0: train every epoch)
          --select-on validation|test  the split early stopping watches (default validation; test is the
                                   reference's optimistic protocol and is labelled test-selected everywhere)
          --false-negative-ratio R  noise: a share R in [0, 1] of each row's negatives are the user's own train items (BSL's r_noise; default 0)
          --batch-size N           rows per step (default 512)
          --epochs N               epochs (default 100)
          --optimizer adam|sparse-adam  adam: dense Adam as the reference, every row every step (default);
                                   sparse-adam: only rows with a gradient step (faster, NOT the reference; see docs/PERFORMANCE.md)
          --lr X                   Adam learning rate, > 0 (default 1e-4)
          --beta1 X --beta2 X      Adam moment decays in [0, 1) (default 0.9, 0.999)
          --adam-eps X             Adam epsilon, > 0 (default 1e-8)
          --l2 X                   lambda of (lambda/2)||W||^2 over whole tables, >= 0 (default 1e-9)
          --clip-norm X            clip the global gradient norm at X; 0 = off (default 10)
          --dim N                  embedding dimension (default 64)
          --init-std X             std of the N(0, std^2) initialisation (default 1e-4)
          --score cosine|dot       score function (default: the loss's own, cosine for mml and ccl)
          --dropout X              dropout on the normalised user vector in training, in [0, 1) (default 0.1)
          --ks LIST                cut-offs K for the metrics (default 10,20,50; must include 20 unless --select-k)
          --select-k K             K whose Recall chooses the best epoch (default 20)
          --eval-every N           evaluate every N epochs (default 1); the last epoch always
          --seed N                 seed of initialisation, shuffling, negatives and dropout (default 2019)
          --threads N              worker threads, 0 = all cores (default 0); results do not depend on it
          --out DIR                write DIR/run.json
        """;

    public static int Run(ArgumentReader args, TextWriter output, TextWriter progress, bool live, CancellationToken cancellation)
    {
        string? path = args.String("data");
        Dataset data = path is null ? DemoCommand.GenerateData(args) : DataArguments.Load(args, path);
        IRowLoss loss = LossArguments.Read(args);
        SessionOptions options = ReadSessionOptions(args, loss, fallback: null);
        if (options.Patience > 0 && options.SelectOn == SelectionSplit.Validation && data.Validation is null)
        {
            throw new UsageException("--patience watches the validation split, but there is none: add --validation-ratio R (with --data) or use --select-on test (the reference's optimistic protocol)");
        }
        InjectedPositives? noise = null;
        if (args.Has("noisy-positive-ratio"))
        {
            double ratio = args.Double("noisy-positive-ratio", 0, 0, 10);
            try
            {
                noise = NoisyPositives.Inject(data, ratio, options.Trainer.Seed);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--noisy-positive-ratio: {e.Message}");
            }
            data = noise.Data;
        }
        string? outDir = args.String("out");
        args.EnsureAllUsed("train");
        return Execute(data, loss, options, outDir, output, progress, live, cancellation, noise);
    }

    /// <summary>Reads the model, optimizer, trainer and evaluation options; <paramref name="fallback"/> supplies other defaults.</summary>
    /// <param name="readNegatives">False when the caller reads --negatives itself (bench takes a list).</param>
    public static SessionOptions ReadSessionOptions(ArgumentReader args, IRowLoss loss, SessionOptions? fallback, bool readNegatives = true)
    {
        SessionOptions d = fallback ?? new SessionOptions();
        string scoreText = args.String("score", loss.DefaultScore == ScoreKind.Cosine ? "cosine" : "dot");
        ScoreKind score = scoreText switch
        {
            "cosine" => ScoreKind.Cosine,
            "dot" => ScoreKind.Dot,
            _ => throw new UsageException($"--score: '{scoreText}' is not a score (expected cosine or dot)"),
        };
        if (loss.RequiredScore is { } required && required != score)
        {
            throw new UsageException($"--score {scoreText} does not apply to --loss {loss.Name}: it is defined on {required.ToString().ToLowerInvariant()} scores only");
        }
        string optimizerText = args.String("optimizer", d.Optimizer == OptimizerKind.SparseAdam ? "sparse-adam" : "adam");
        OptimizerKind optimizer = optimizerText switch
        {
            "adam" => OptimizerKind.Adam,
            "sparse-adam" => OptimizerKind.SparseAdam,
            _ => throw new UsageException($"--optimizer: '{optimizerText}' is not an optimizer (expected adam or sparse-adam)"),
        };
        IReadOnlyList<SamplerShare> parts = args.Has("sampler") ? ParseSampler(args.String("sampler")!) : d.Sampler.Parts;
        bool popularity = parts.Any(p => p.Kind == SamplerKind.Popularity), hard = parts.Any(p => p.Kind == SamplerKind.Hard);
        if (!popularity && args.Has("popularity-alpha"))
        {
            throw new UsageException("--popularity-alpha applies only when --sampler includes popularity");
        }
        if (!hard && args.Has("hard-candidates"))
        {
            throw new UsageException("--hard-candidates applies only when --sampler includes hard");
        }
        string timingText = args.String("draw-negatives", d.Sampler.Timing == NegativeDrawTiming.PerEpoch ? "per-epoch" : "per-batch")!;
        NegativeDrawTiming timing = timingText switch
        {
            "per-batch" => NegativeDrawTiming.PerBatch,
            "per-epoch" => NegativeDrawTiming.PerEpoch,
            _ => throw new UsageException($"--draw-negatives: '{timingText}' is not a timing (expected per-batch or per-epoch)"),
        };
        var sampler = new SamplerOptions
        {
            Mixture = parts,
            Alpha = args.Double("popularity-alpha", d.Sampler.Alpha, 0, 10),
            FalseNegativeRatio = args.Double("false-negative-ratio", d.Sampler.FalseNegativeRatio, 0, 1),
            HardCandidates = args.Int("hard-candidates", d.Sampler.HardCandidates, 1),
            Timing = timing,
        };
        try
        {
            sampler.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--sampler: {e.Message}");
        }
        int[] ks = args.IntList("ks", 1) ?? d.Evaluation.Ks.ToArray();
        int selectK = args.Int("select-k", d.SelectionK, 1);
        if (!ks.Contains(selectK))
        {
            throw new UsageException($"--select-k {selectK} must be one of --ks ({string.Join(",", ks)})");
        }
        string selectOnText = args.String("select-on", d.SelectOn == SelectionSplit.Test ? "test" : "validation");
        SelectionSplit selectOn = selectOnText switch
        {
            "validation" => SelectionSplit.Validation,
            "test" => SelectionSplit.Test,
            _ => throw new UsageException($"--select-on: '{selectOnText}' is not a split (expected validation or test)"),
        };
        var options = new SessionOptions
        {
            Encoder = new MatrixFactorizationOptions
            {
                Dim = args.Int("dim", d.Encoder.Dim, 1, 4096),
                InitStd = args.Double("init-std", d.Encoder.InitStd, 0),
                Score = score,
            },
            Adam = new AdamOptions
            {
                LearningRate = args.Double("lr", d.Adam.LearningRate, 0, minExclusive: true),
                Beta1 = args.Double("beta1", d.Adam.Beta1, 0, 0.999999),
                Beta2 = args.Double("beta2", d.Adam.Beta2, 0, 0.999999999),
                Epsilon = args.Double("adam-eps", d.Adam.Epsilon, 0, minExclusive: true),
                L2 = args.Double("l2", d.Adam.L2, 0),
                ClipNorm = args.Double("clip-norm", d.Adam.ClipNorm, 0),
            },
            Trainer = new TrainerOptions
            {
                Epochs = args.Int("epochs", d.Trainer.Epochs, 1),
                BatchSize = args.Int("batch-size", d.Trainer.BatchSize, 1),
                Negatives = readNegatives ? args.Int("negatives", d.Trainer.Negatives, 1, 100_000) : d.Trainer.Negatives,
                Dropout = args.Double("dropout", d.Trainer.Dropout, 0, 0.99),
                ExcludePositives = args.Flag("exclude-positives") || d.Trainer.ExcludePositives,
                Seed = (ulong)args.Int("seed", (int)d.Trainer.Seed, 0),
                Threads = args.Int("threads", d.Trainer.Threads, 0, 1024),
                EvaluateEvery = args.Int("eval-every", d.Trainer.EvaluateEvery, 1),
            },
            Evaluation = new EvaluatorOptions { Ks = ks },
            SelectionK = selectK,
            Optimizer = optimizer,
            Sampler = sampler,
            Patience = args.Int("patience", d.Patience, 0),
            SelectOn = selectOn,
        };
        (int hardCount, int candidates) = sampler.HardLayout(options.Trainer.Negatives);
        if (readNegatives && candidates < hardCount)
        {
            throw new UsageException($"--hard-candidates {candidates} is fewer than the {hardCount} hard negatives kept per row (expected at least {hardCount})");
        }
        return options;
    }

    public static int Execute(Dataset data, IRowLoss loss, SessionOptions options, string? outDir, TextWriter output, TextWriter progress,
        bool live, CancellationToken cancellation, InjectedPositives? noise = null)
    {
        var stats = DatasetStatistics.Of(data);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data {data.Name}: {stats.Users:N0} users, {stats.Items:N0} items, train {data.Train.Count:N0}, validation {data.Validation?.Count ?? 0:N0}, test {data.Test?.Count ?? 0:N0}"));
        Render.Notes(output, data.Report);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model MF dim {options.Encoder.Dim} {options.Encoder.Score.ToString().ToLowerInvariant()} | loss {Describe(loss)} | {options.Trainer.Negatives} negatives ({SamplerText(options)}) | batch {options.Trainer.BatchSize} | {(options.Optimizer == OptimizerKind.SparseAdam ? "sparse Adam" : "Adam")} lr {options.Adam.LearningRate:G3} l2 {options.Adam.L2:G3} clip {options.Adam.ClipNorm:G3} | dropout {options.Trainer.Dropout:G3} | seed {options.Trainer.Seed} | threads {(options.Trainer.Threads == 0 ? Environment.ProcessorCount : options.Trainer.Threads)}"));

        var session = new TrainingSession(options);
        TrainingResult result = session.Run(data, loss, new ConsoleTrainingObserver(progress, output, live, options.Trainer.Epochs), cancellation);

        var baselines = new List<(string, EvaluationResult)>();
        var evaluator = new Evaluator(options.Evaluation, new ParallelRunner(options.Trainer.Threads));
        FactorModel popular = FactorModel.MostPopular(data.Train);
        if (data.Test is not null)
        {
            InteractionMatrix testMask = data.Validation is null ? data.Train : data.Train.Union(data.Validation);
            baselines.Add(("most-popular", evaluator.Evaluate(popular, testMask, data.Test)));
        }

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
                ? $"stopped early after epoch {result.Epochs[^1].Epoch}: no better {options.SelectOn.ToString().ToLowerInvariant()} Recall@{options.SelectionK} for {options.Patience} evaluations. "
                : "")
                + $"The model now holds epoch {restored.Record.Epoch}, the {restored.Selection} epoch.");
        }
        double meanSeconds = result.Epochs.Average(e => e.TrainSeconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\ntraining: {meanSeconds:F2} s per epoch on average ({data.Train.Count / meanSeconds / 1000:F0}k rows/s)"));
        double epochs = result.Epochs.Count;
        output.WriteLine("  per epoch by phase: " + string.Join(", ", result.PhaseSeconds.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Seconds / epochs:F2}s"))));

        if (outDir is not null)
        {
            string path = Path.Combine(outDir, "run.json");
            RunRecordWriter.Write(path, data, loss, ConfigOf(loss, options), result, Commit(), baselines, noise);
            output.WriteLine($"run record: {path}");
        }
        return ExitCodes.Success;
    }

    public static string Describe(IRowLoss loss) => LossArguments.Describe(loss);

    /// <summary>A sampler name (uniform, popularity, in-batch, hard) or a mixture "name:share,name:share" (shares sum to 1).</summary>
    public static IReadOnlyList<SamplerShare> ParseSampler(string text)
    {
        var parts = new List<SamplerShare>();
        string[] items = text.Split(',');
        foreach (string item in items)
        {
            string[] fields = item.Split(':');
            SamplerKind kind = fields[0].Trim() switch
            {
                "uniform" => SamplerKind.Uniform,
                "popularity" => SamplerKind.Popularity,
                "in-batch" => SamplerKind.InBatch,
                "hard" => SamplerKind.Hard,
                _ => throw new UsageException($"--sampler: '{fields[0].Trim()}' is not a sampler (expected uniform, popularity, in-batch or hard, or a mixture such as hard:0.5,uniform:0.5)"),
            };
            double share = 1;
            if (fields.Length > 2 || (fields.Length == 2 && !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out share)))
            {
                throw new UsageException($"--sampler: '{item}' is not NAME:SHARE with a number as the share");
            }
            if (fields.Length == 1 && items.Length > 1)
            {
                throw new UsageException($"--sampler: '{item}' in a mixture needs a share, e.g. {item}:0.5");
            }
            parts.Add(new SamplerShare(kind, share));
        }
        return parts;
    }

    private static string SamplerText(SessionOptions o)
    {
        SamplerOptions s = o.Sampler;
        int[] counts = SamplerOptions.Counts(s.Parts, o.Trainer.Negatives);
        string parts = string.Join(" + ", s.Parts.Select((p, i) => p.Kind switch
        {
            SamplerKind.Popularity => string.Create(CultureInfo.InvariantCulture, $"popularity^{s.Alpha}"),
            SamplerKind.InBatch => "in-batch",
            SamplerKind.Hard => $"hard (top of {s.HardLayout(o.Trainer.Negatives).Candidates} uniform candidates outside the user's items)",
            _ => "uniform over all items",
        } + (s.Parts.Count > 1 ? $" x{counts[i]}" : "")));
        return parts
            + (o.Trainer.ExcludePositives ? ", positives excluded" : "")
            + (s.FalseNegativeRatio > 0 ? string.Create(CultureInfo.InvariantCulture, $", false negatives {s.FalseNegativeRatio}") : "")
            + (s.Timing == NegativeDrawTiming.PerEpoch ? ", drawn once per epoch" : "");
    }

    private static Dictionary<string, object?> ConfigOf(IRowLoss loss, SessionOptions o) => new()
    {
        ["loss"] = Describe(loss),
        ["encoder"] = "mf",
        ["dim"] = o.Encoder.Dim,
        ["score"] = o.Encoder.Score.ToString().ToLowerInvariant(),
        ["initStd"] = o.Encoder.InitStd,
        ["negatives"] = o.Trainer.Negatives,
        ["excludePositives"] = o.Trainer.ExcludePositives,
        ["sampler"] = SamplerText(o),
        ["patience"] = o.Patience,
        ["selectOn"] = o.SelectOn == SelectionSplit.Test ? "test (test-selected: optimistic)" : "validation",
        ["batchSize"] = o.Trainer.BatchSize,
        ["epochs"] = o.Trainer.Epochs,
        ["dropout"] = o.Trainer.Dropout,
        ["seed"] = o.Trainer.Seed,
        ["threads"] = o.Trainer.Threads,
        ["evaluateEvery"] = o.Trainer.EvaluateEvery,
        ["optimizer"] = o.Optimizer == OptimizerKind.SparseAdam ? "sparse-adam" : "adam (dense semantics, deferred replay)",
        ["lr"] = o.Adam.LearningRate,
        ["beta1"] = o.Adam.Beta1,
        ["beta2"] = o.Adam.Beta2,
        ["adamEps"] = o.Adam.Epsilon,
        ["l2"] = o.Adam.L2,
        ["clipNorm"] = o.Adam.ClipNorm,
        ["ks"] = o.Evaluation.Ks,
        ["selectK"] = o.SelectionK,
    };

    /// <summary>The git commit of the working directory, when git and a repository are there.</summary>
    private static string? Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null)
            {
                return null;
            }
            string text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && text.Length == 40 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
