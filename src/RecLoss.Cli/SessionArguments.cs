using System.Globalization;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>The model, sampling, optimizer, trainer and evaluation options of train, demo and bench, read and checked
/// before any data is loaded.</summary>
internal static class SessionArguments
{
    /// <summary>Reads the model, optimizer, trainer and evaluation options; <paramref name="fallback"/> supplies other defaults.</summary>
    /// <param name="readNegatives">False when the caller reads --negatives itself (bench takes a list).</param>
    public static SessionOptions Read(ArgumentReader args, IRowLoss loss, SessionOptions? fallback, bool readNegatives = true)
    {
        SessionOptions d = fallback ?? new SessionOptions();
        (EncoderKind kind, SimpleXOptions simplex, LightGcnOptions lightGcn, L2Placement l2On, EpochRows epochRows) = EncoderArguments.Read(args);
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
        string evalText = args.String("eval-score", scoreText)!;
        ScoreKind evalScore = evalText switch
        {
            "cosine" => ScoreKind.Cosine,
            "dot" => ScoreKind.Dot,
            _ => throw new UsageException($"--eval-score: '{evalText}' is not a score (expected cosine or dot)"),
        };
        string initText = args.String("init-dist", "normal")!;
        InitKind init = initText switch
        {
            "normal" => InitKind.Normal,
            "xavier-uniform" => InitKind.XavierUniform,
            _ => throw new UsageException($"--init-dist: '{initText}' is not an initialisation (expected normal or xavier-uniform)"),
        };
        if (init == InitKind.XavierUniform && args.Has("init-std"))
        {
            throw new UsageException("--init-std sets the normal initialisation's spread; --init-dist xavier-uniform takes its bound from each table's shape");
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
            FalseNegativeWeight = args.Has("false-negative-weight") ? args.Double("false-negative-weight", 1, 0, 1000) : null,
            HardCandidates = args.Int("hard-candidates", d.Sampler.HardCandidates, 1, Limits.MaxHardCandidates),
            Timing = timing,
        };
        try
        {
            sampler.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--sampler: {Messages.Of(e)}");
        }
        int[] ks = args.IntList("ks", 1, 100_000) ?? d.Evaluation.Ks.ToArray();
        int selectK = args.Int("select-k", d.SelectionK, 1, 100_000);
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
                InitStd = args.Double("init-std", kind == EncoderKind.LightGcn ? new LightGcnOptions().InitStd : d.Encoder.InitStd, 0, 1, minExclusive: true),
                Score = score,
                Init = init,
                EvaluationScore = evalScore == score ? null : evalScore,
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
                Epochs = args.Int("epochs", d.Trainer.Epochs, 1, 1_000_000),
                BatchSize = args.Int("batch-size", d.Trainer.BatchSize, 1, Limits.MaxBatchSize),
                Negatives = readNegatives ? args.Int("negatives", parts.Any(p => p.Kind == SamplerKind.InBatchAll) ? DefaultInBatchAll(args, d) : d.Trainer.Negatives, 1, Limits.MaxNegatives)
                    : d.Trainer.Negatives,
                Dropout = args.Double("dropout", d.Trainer.Dropout, 0, 0.99),
                DropoutBeforeNormalisation = args.Flag("dropout-before-norm") || d.Trainer.DropoutBeforeNormalisation,
                ExcludePositives = args.Flag("exclude-positives") || d.Trainer.ExcludePositives,
                Seed = (ulong)args.Int("seed", (int)d.Trainer.Seed, 0),
                Threads = args.Int("threads", d.Trainer.Threads, 0, 1024),
                EvaluateEvery = args.Int("eval-every", d.Trainer.EvaluateEvery, 1, 1_000_000),
            },
            Evaluation = new EvaluatorOptions { Ks = ks },
            SelectionK = selectK,
            SelectionMetric = args.String("select-metric", "recall") switch
            {
                "recall" => SelectionMetric.Recall,
                "ndcg" => SelectionMetric.Ndcg,
                string other => throw new UsageException($"--select-metric: '{other}' is not a selection metric (expected recall or ndcg)"),
            },
            Optimizer = optimizer,
            Sampler = sampler,
            Patience = args.Int("patience", d.Patience, 0, 1_000_000),
            Kind = kind,
            SimpleX = simplex,
            LightGcn = lightGcn,
            L2Placement = l2On,
            EpochRows = epochRows,
            SelectOn = selectOn,
            Plateau = Plateau(args, args.Double("lr", d.Adam.LearningRate, 0, minExclusive: true)),
        };
        if (args.Has("select-on") && options.Patience == 0 && options.Plateau is null)
        {
            throw new UsageException("--select-on chooses the split early stopping and the plateau schedule watch, so it needs --patience N or --plateau-factor F (without them every epoch is trained at one rate, and the last, best-validation and test-selected epochs are all reported)");
        }
        if (!EncoderFactory.UsesMatrixFactorizationTrainer(options))
        {
            string who = kind != EncoderKind.MatrixFactorization ? $"--encoder {EncoderArguments.Name(kind)}" : "--epoch-rows user-uniform";
            string? missing = optimizer == OptimizerKind.SparseAdam ? "--optimizer sparse-adam"
                : loss.Pooling.Enabled ? "--pool-positives"
                : options.Trainer.DropoutBeforeNormalisation ? "--dropout-before-norm" : null;
            if (missing is not null)
            {
                throw new UsageException($"{missing} is implemented in MF's own trainer only; {who} trains with the generic trainer, which does not have it yet");
            }
        }
        if (options.Trainer.DropoutBeforeNormalisation && (options.Encoder.Score != ScoreKind.Cosine || options.Trainer.Dropout == 0))
        {
            throw new UsageException($"--dropout-before-norm orders dropout against the cosine's normalisation; this run has {(options.Encoder.Score != ScoreKind.Cosine ? "the dot score" : "--dropout 0")}, where the order changes nothing");
        }
        if (options.Trainer.ExcludePositives && !parts.Any(p => p.Kind is SamplerKind.Uniform or SamplerKind.Popularity))
        {
            throw new UsageException("--exclude-positives applies to uniform and popularity draws; in-batch and hard negatives already leave out the user's train items");
        }
        // The ratio and other samplers are refused by the sampler options' own validation above.
        if (sampler.FalseNegativeWeight is not null && options.Trainer.ExcludePositives)
        {
            throw new UsageException("--false-negative-weight reweights uniform draws (0 excludes the user's train items): it does not take --exclude-positives");
        }
        if (options.Trainer.ExcludePositives && sampler.FalseNegativeRatio > 0)
        {
            throw new UsageException("--exclude-positives and --false-negative-ratio contradict each other: one keeps the user's train items out of its negatives, the other puts a share of them in");
        }
        if (readNegatives)
        {
            CheckStepSize(options, "--negatives");
        }
        return options;
    }

    /// <summary>--plateau-factor F turns the learning rate on plateau on; --plateau-min-lr floors it.</summary>
    private static PlateauOptions? Plateau(ArgumentReader args, double rate)
    {
        if (!args.Has("plateau-factor"))
        {
            if (args.Has("plateau-min-lr"))
            {
                throw new UsageException("--plateau-min-lr floors the rate the plateau schedule lowers, so it needs --plateau-factor F (the reference's is 0.1)");
            }
            return null;
        }
        var plateau = new PlateauOptions
        {
            Factor = args.Double("plateau-factor", PlateauOptions.Defaults.Factor, 0, 0.999999, minExclusive: true),
            MinLearningRate = args.Double("plateau-min-lr", PlateauOptions.Defaults.MinLearningRate, 0),
        };
        if (args.Has("plateau-min-lr") && plateau.MinLearningRate >= rate)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--plateau-min-lr {plateau.MinLearningRate:G} is not below the learning rate {rate:G}, so the schedule could never cut it (expected a floor under --lr)"));
        }
        return plateau;
    }

    /// <summary>Checks what the sizes imply before any data is loaded: enough hard candidates, a step's buffers
    /// addressable, in-batch sampling with other rows in the batch.</summary>
    public static void CheckStepSize(SessionOptions options, string negativesOption)
    {
        SamplerOptions sampler = options.Sampler;
        int negatives = options.Trainer.Negatives, batch = options.Trainer.BatchSize;
        (int hardCount, int candidates) = sampler.HardLayout(negatives);
        if (candidates < hardCount)
        {
            throw new UsageException($"--hard-candidates {candidates} is fewer than the {hardCount} hard negatives kept per row (expected at least {hardCount})");
        }
        long slots = (long)batch * (1 + negatives + candidates);
        if (slots > Limits.MaxSlotsPerStep)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {batch} x (1 + {negatives} negatives{(candidates > 0 ? $" + {candidates} hard candidates" : "")}) = {slots:N0} scores per step, more than the {Limits.MaxSlotsPerStep:N0} a step may hold; lower --batch-size or {negativesOption}"));
        }
        long floats = (long)batch * options.Encoder.Dim;
        if (floats > Limits.MaxSlotsPerStep)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {batch} x --dim {options.Encoder.Dim} = {floats:N0} values per user buffer, more than the {Limits.MaxSlotsPerStep:N0} a step may hold; lower --batch-size or --dim"));
        }
        int[] counts = SamplerOptions.Counts(sampler.Parts, negatives);
        for (int p = 0; p < counts.Length && sampler.Parts.Count > 1; p++)
        {
            if (counts[p] == 0)
            {
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"--sampler: the {SamplerOptions.KindName(sampler.Parts[p].Kind)} share {sampler.Parts[p].Share} of {negatives} negatives rounds to no slot (raise its share or {negativesOption})"));
            }
        }
        if (sampler.Parts.Any(p => p.Kind is SamplerKind.InBatch or SamplerKind.InBatchAll) && batch < 2)
        {
            throw new UsageException($"--sampler {SamplerOptions.KindName(sampler.Parts[0].Kind)} takes the other rows' positives, so it needs --batch-size of at least 2 (found {batch})");
        }
        if (sampler.Parts.Any(p => p.Kind == SamplerKind.InBatchAll) && negatives != batch - 1)
        {
            throw new UsageException($"--sampler in-batch-all scores each of the batch's {batch - 1} other rows once, so {negativesOption} must be --batch-size - 1 = {batch - 1} (found {negatives}; leave it out to get that, or use --sampler in-batch to draw {negatives})");
        }
    }

    /// <summary>--negatives for in-batch-all when not given: --batch-size - 1, every other row once.</summary>
    private static int DefaultInBatchAll(ArgumentReader args, SessionOptions d) =>
        Math.Max(1, args.Int("batch-size", d.Trainer.BatchSize, 1, Limits.MaxBatchSize) - 1);

    /// <summary>In-batch negatives need a second row in every batch, the epoch's last one included: checked before training.</summary>
    public static void CheckLastBatch(SessionOptions options, long trainRows)
    {
        int batch = options.Trainer.BatchSize;
        SamplerKind? inBatch = options.Sampler.Parts.Where(p => p.Kind is SamplerKind.InBatch or SamplerKind.InBatchAll).Select(p => (SamplerKind?)p.Kind).FirstOrDefault();
        if (inBatch is { } kind && trainRows > 1 && trainRows % batch == 1)
        {
            int next = batch + 1;
            while (trainRows % next == 1)
            {
                next++;
            }
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {batch}: the epoch's {trainRows:N0} train rows leave a last batch of one row, which has no other row's positive for --sampler {SamplerOptions.KindName(kind)}; use a --batch-size that leaves another remainder (e.g. {next})"));
        }
    }

    /// <summary>A per-epoch draw holds every row's negatives at once: checked once the train size is known, before training.</summary>
    public static void CheckEpochDraw(SessionOptions options, long trainRows)
    {
        if (options.Sampler.Timing != NegativeDrawTiming.PerEpoch)
        {
            return;
        }
        long held = trainRows * options.Trainer.Negatives;
        if (held > Limits.MaxNegativesPerEpoch)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--draw-negatives per-epoch would hold {trainRows:N0} train rows x {options.Trainer.Negatives} negatives = {held:N0} draws, more than {Limits.MaxNegativesPerEpoch:N0} (2 GiB); use --draw-negatives per-batch (the same negatives) or fewer --negatives"));
        }
    }

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
                "in-batch-all" => SamplerKind.InBatchAll,
                "hard" => SamplerKind.Hard,
                _ => throw new UsageException($"--sampler: '{fields[0].Trim()}' is not a sampler (expected uniform, popularity, in-batch, in-batch-all or hard, or a mixture such as hard:0.5,uniform:0.5)"),
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

    public static string SamplerText(SessionOptions o)
    {
        SamplerOptions s = o.Sampler;
        int[] counts = SamplerOptions.Counts(s.Parts, o.Trainer.Negatives);
        string parts = string.Join(" + ", s.Parts.Select((p, i) => p.Kind switch
        {
            SamplerKind.Popularity => string.Create(CultureInfo.InvariantCulture, $"popularity^{s.Alpha}"),
            SamplerKind.InBatch => "in-batch",
            SamplerKind.InBatchAll => "in-batch-all (every other row's positive, unmasked)",
            SamplerKind.Hard => $"hard (top of {s.HardLayout(o.Trainer.Negatives).Candidates} uniform candidates outside the user's items)",
            _ => "uniform over all items",
        } + (s.Parts.Count > 1 ? $" x{counts[i]}" : "")));
        return parts
            + (o.Trainer.ExcludePositives ? ", positives excluded" : "")
            + (s.FalseNegativeRatio > 0 ? string.Create(CultureInfo.InvariantCulture, $", false negatives {s.FalseNegativeRatio}") : "")
            + (s.FalseNegativeWeight is { } w ? string.Create(CultureInfo.InvariantCulture, $", the user's train items weighted {w}") : "")
            + (s.Timing == NegativeDrawTiming.PerEpoch ? ", drawn once per epoch" : "");
    }

    /// <summary><see cref="ConfigOf"/> as the JSON object model headers and checkpoints keep and compare.</summary>
    public static System.Text.Json.Nodes.JsonObject ConfigJson(IRowLoss loss, SessionOptions o) =>
        System.Text.Json.JsonSerializer.SerializeToNode(ConfigOf(loss, o))!.AsObject();

    /// <summary>The run's configuration as run.json records it: every value a field, the loss with its parameters.</summary>
    public static Dictionary<string, object?> ConfigOf(IRowLoss loss, SessionOptions o) => new()
    {
        ["loss"] = LossParameters.Of(loss),
        ["lossDescription"] = LossArguments.Describe(loss),
        ["encoder"] = EncoderArguments.Name(o.Kind),
        ["simplexGamma"] = o.Kind == EncoderKind.SimpleX ? o.SimpleX.Gamma : null,
        ["simplexHistoryLength"] = o.Kind == EncoderKind.SimpleX ? o.SimpleX.HistoryLength : null,
        ["simplexHistoryTable"] = o.Kind == EncoderKind.SimpleX ? (o.SimpleX.SharedHistoryTable ? "items" : "own") : null,
        ["simplexAggregator"] = o.Kind == EncoderKind.SimpleX ? o.SimpleX.Aggregator.ToString() : null,
        ["simplexAttentionPadding"] = o.Kind == EncoderKind.SimpleX && o.SimpleX.Aggregator != SimpleXAggregator.Mean ? o.SimpleX.Padding.ToString() : null,
        ["lightgcnLayers"] = o.Kind == EncoderKind.LightGcn ? o.LightGcn.Layers : null,
        ["l2On"] = EncoderArguments.L2Name(o.L2Placement),
        ["epochRows"] = o.EpochRows == EpochRows.UserUniform ? "user-uniform" : "interactions",
        ["dim"] = o.Encoder.Dim,
        ["score"] = o.Encoder.Score.ToString().ToLowerInvariant(),
        ["initStd"] = o.Encoder.InitStd,
        ["initDist"] = o.Encoder.Init == InitKind.Normal ? null : "xavier-uniform",   // null when default: older checkpoints lack the key
        ["evalScore"] = o.Encoder.EvaluationScore?.ToString().ToLowerInvariant(),
        ["negatives"] = o.Trainer.Negatives,
        ["excludePositives"] = o.Trainer.ExcludePositives,
        ["sampler"] = SamplerText(o),
        ["samplerParts"] = o.Sampler.Parts.Select(p => new Dictionary<string, object> { ["kind"] = SamplerOptions.KindName(p.Kind), ["share"] = p.Share }).ToArray(),
        ["popularityAlpha"] = o.Sampler.Alpha,
        ["hardCandidates"] = o.Sampler.HardLayout(o.Trainer.Negatives).Candidates,
        ["falseNegativeRatio"] = o.Sampler.FalseNegativeRatio,
        ["falseNegativeWeight"] = o.Sampler.FalseNegativeWeight,   // null when off: older checkpoints lack the key
        ["drawNegatives"] = o.Sampler.Timing == NegativeDrawTiming.PerEpoch ? "per-epoch" : "per-batch",
        ["patience"] = o.Patience,
        ["plateauFactor"] = o.Plateau?.Factor,                // null when off: older checkpoints lack the key
        ["plateauMinLr"] = o.Plateau?.MinLearningRate,
        ["selectOn"] = o.SelectOn == SelectionSplit.Test ? "test (test-selected: optimistic)" : "validation",
        ["batchSize"] = o.Trainer.BatchSize,
        ["epochs"] = o.Trainer.Epochs,
        ["dropout"] = o.Trainer.Dropout,
        ["dropoutOrder"] = o.Trainer.DropoutBeforeNormalisation ? "before-normalisation" : null,   // null when after: older checkpoints lack the key
        ["seed"] = o.Trainer.Seed,
        ["threadsAsked"] = o.Trainer.Threads,
        ["threads"] = ParallelRunner.ThreadsFor(o.Trainer.Threads),
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
        ["selectMetric"] = o.SelectionMetric == SelectionMetric.Ndcg ? "ndcg" : null,   // null when recall: older checkpoints lack the key
    };

}
